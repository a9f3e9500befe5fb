package beats

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"testing"
)

// frames builds a Lumberjack v2 window of JSON frames, compressed or not.
func frames(compressed bool, docs ...string) []byte {
	var body bytes.Buffer
	for i, d := range docs {
		body.WriteString("2J")
		binary.Write(&body, binary.BigEndian, uint32(i+1))
		binary.Write(&body, binary.BigEndian, uint32(len(d)))
		body.WriteString(d)
	}
	var out bytes.Buffer
	out.WriteString("2W")
	binary.Write(&out, binary.BigEndian, uint32(len(docs)))
	if !compressed {
		out.Write(body.Bytes())
		return out.Bytes()
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(body.Bytes())
	w.Close()
	out.WriteString("2C")
	binary.Write(&out, binary.BigEndian, uint32(z.Len()))
	out.Write(z.Bytes())
	return out.Bytes()
}

// FuzzFrameGuard feeds a byte stream to the guard whole and in pieces of
// every size: the verdict is the same, and valid windows within the
// limits pass.
func FuzzFrameGuard(f *testing.F) {
	f.Add(frames(false, `{"message":"a"}`, `{"message":"b"}`), uint8(3))
	f.Add(frames(true, `{"message":"a"}`), uint8(1))
	f.Add([]byte("2J\x00\x00\x00\x01\xff\xff\xff\xff"), uint8(2))
	f.Add([]byte("1W\x00\x00\x00\x01"), uint8(1))
	f.Add([]byte("2W\x7f\xff\xff\xff"), uint8(5))
	f.Fuzz(func(t *testing.T, stream []byte, size uint8) {
		if size == 0 {
			return
		}
		whole := frameGuard{maxFrame: 64, maxWindow: 4}
		want := whole.check(stream)
		piece := frameGuard{maxFrame: 64, maxWindow: 4}
		var got error
		for i := 0; i < len(stream) && got == nil; i += int(size) {
			got = piece.check(stream[i:min(i+int(size), len(stream))])
		}
		if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
			t.Fatalf("in pieces of %d: %v; whole: %v", size, got, want)
		}
	})
}

func TestFrameGuardPassesValidWindows(t *testing.T) {
	t.Parallel()
	for _, compressed := range []bool{false, true} {
		g := frameGuard{maxFrame: 1 << 20, maxWindow: 10}
		stream := append(frames(compressed, `{"a":1}`, `{"b":2}`), frames(compressed, `{"c":3}`)...)
		if err := g.check(stream); err != nil {
			t.Errorf("compressed %v: %v; want the windows to pass", compressed, err)
		}
	}
	for _, tt := range []struct {
		stream []byte
		want   string
	}{
		{[]byte("2J\x00\x00\x00\x01\x00\x10\x00\x00"), "frame of 1048576 bytes, over max_frame_bytes (1024)"},
		{[]byte("2W\x00\x00\x00\x0b"), "window of 11 events, over the maximum of 10"},
		{[]byte("1W"), "protocol version '1'"},
		{[]byte("2X"), "unknown frame type 'X'"},
	} {
		g := frameGuard{maxFrame: 1024, maxWindow: 10}
		if err := g.check(tt.stream); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
			t.Errorf("check(%q) = %v; want %q", tt.stream, err, tt.want)
		}
	}
}
