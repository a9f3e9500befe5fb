package web

import "bytes"

// requestHeaders is what webapp reads of a request's header fields. They
// are read once, from the header block as it came off the wire, in
// order: Node keeps the first of some repeated fields and joins others,
// so the order matters, and a parser that has already joined obs-fold
// lines or dropped a Transfer-Encoding cannot show what a proxy in front
// may have read differently.
//
// Every value points into the request's buffers: it is valid only until
// the handler returns.
type requestHeaders struct {
	raw             []byte // the block, to find repeated fields in
	cookie          field  // Cookie: every field, joined with "; " by Node
	referer         []byte
	referrer        field // Referrer: joined with ", "
	userAgent       []byte
	ifNoneMatch     field
	ifModifiedSince []byte
	cacheControl    field
	// ambiguous: a Transfer-Encoding field or an obs-fold line came in,
	// so Handler.Serve closes the connection after its response: a proxy
	// in front may have framed the request differently.
	ambiguous bool
}

// field is a header field that may repeat: its first value, and how
// many there are.
type field struct {
	first []byte
	n     int
}

// values returns every value of the field called name, f, in order.
func (h *requestHeaders) values(f field, name string) [][]byte {
	switch f.n {
	case 0:
		return nil
	case 1:
		return [][]byte{f.first}
	}
	var out [][]byte
	forEachLine(h.raw, func(n, value []byte) {
		if bytes.EqualFold(n, []byte(name)) {
			out = append(out, value)
		}
	})
	return out
}

// joined returns the values of the field called name, f, joined with sep,
// as Node joins repeated fields.
func (h *requestHeaders) joined(f field, name, sep string) []byte {
	if f.n <= 1 {
		return f.first
	}
	return bytes.Join(h.values(f, name), []byte(sep))
}

// readHeaders reads the fields webapp uses from raw, a request's header
// block (the lines after the request line, without the blank line), as
// fasthttp received it.
func readHeaders(raw []byte) requestHeaders {
	h := requestHeaders{raw: raw}
	h.ambiguous = forEachLine(raw, func(name, value []byte) {
		// By length first: most fields are none of these.
		switch len(name) {
		case len("Cookie"):
			if bytes.EqualFold(name, []byte("Cookie")) {
				h.cookie.add(value)
			}
		case len("User-Agent"):
			if h.userAgent == nil && bytes.EqualFold(name, []byte("User-Agent")) {
				h.userAgent = value
			}
		case len("Referer"):
			if h.referer == nil && bytes.EqualFold(name, []byte("Referer")) {
				h.referer = value
			}
		case len("Referrer"):
			if bytes.EqualFold(name, []byte("Referrer")) {
				h.referrer.add(value)
			}
		case len("If-None-Match"): // and Cache-Control
			switch {
			case bytes.EqualFold(name, []byte("If-None-Match")):
				h.ifNoneMatch.add(value)
			case bytes.EqualFold(name, []byte("Cache-Control")):
				h.cacheControl.add(value)
			}
		case len("If-Modified-Since"):
			if h.ifModifiedSince == nil && bytes.EqualFold(name, []byte("If-Modified-Since")) {
				h.ifModifiedSince = value
			}
		}
	})
	return h
}

func (f *field) add(v []byte) {
	if f.n == 0 {
		f.first = v
	}
	f.n++
}

// forEachLine calls fn with the name and value (without the whitespace
// around it) of each header line in block, and reports whether a line
// named Transfer-Encoding (any case) or an obs-fold line (one starting
// with a space or tab) is among them. An obs-fold line is not passed to
// fn: it continues the line above, which fn has seen without it.
func forEachLine(block []byte, fn func(name, value []byte)) (ambiguous bool) {
	for len(block) > 0 {
		line := block
		if i := bytes.IndexByte(block, '\n'); i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			ambiguous = true
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue // fasthttp refuses such a block; nothing to read
		}
		name := bytes.TrimRight(line[:colon], " \t")
		if len(name) == len("Transfer-Encoding") && bytes.EqualFold(name, []byte("Transfer-Encoding")) {
			ambiguous = true
		}
		fn(name, bytes.Trim(line[colon+1:], " \t"))
	}
	return ambiguous
}
