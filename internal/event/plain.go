package event

// Plain is Logstash's plain codec on an output: Format interpolated with
// Sprintf, or Logstash's event.to_s ("@timestamp host message") when
// Format is empty, with no delimiter after it.
type Plain struct {
	Format string
}

// Append implements Codec.
func (c Plain) Append(dst []byte, e *Event) []byte {
	dst = Line(c).Append(dst, e)
	return dst[:len(dst)-1] // the line codec's "\n"
}
