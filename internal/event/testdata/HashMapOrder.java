// Generates java-hashmap-order.txt: for each case, the keys in insertion
// order, then java.util.HashMap's iteration order. Run: java HashMapOrder.java
import java.util.*;
public class HashMapOrder {
  public static void main(String[] a) {
    List<List<String>> cases = new ArrayList<>();
    cases.add(Arrays.asList("message","@version","@timestamp","type","host","path"));
    cases.add(Arrays.asList("message","@version","@timestamp","type","env","multi","tags","host","path"));
    cases.add(Arrays.asList("message","@version","@timestamp","tags","host","path"));
    List<String> big = new ArrayList<>(Arrays.asList("message","@version","@timestamp","type"));
    for (int i=1;i<=10;i++) big.add("field"+i);
    big.addAll(Arrays.asList("tags","host","path"));
    cases.add(big);
    List<String> huge = new ArrayList<>(Arrays.asList("message","@version","@timestamp"));
    for (int i=0;i<40;i++) huge.add("k_"+Integer.toString(i*7919, 36));
    huge.addAll(Arrays.asList("host","path"));
    cases.add(huge);
    List<String> coll = new ArrayList<>(Arrays.asList("message","@version","@timestamp"));
    String[] parts = {"Aa","BB"};
    for (int i=0;i<10;i++) { StringBuilder sb=new StringBuilder(); for (int b=0;b<4;b++) sb.append(parts[(i>>b)&1]); coll.add(sb.toString()); }
    coll.addAll(Arrays.asList("host","path"));
    cases.add(coll);
    cases.add(Arrays.asList("message","@version","@timestamp","type","café","日本語","emoji😀","host","path"));
    for (List<String> c : cases) {
      HashMap<String,Object> m = new HashMap<>();
      for (String k : c) m.put(k, 1);
      System.out.println(String.join("\t", c));
      System.out.println(String.join("\t", m.keySet()));
    }
  }
}
