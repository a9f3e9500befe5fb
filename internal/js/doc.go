// Package js reproduces the JavaScript built-ins whose output webapp must
// match byte for byte to be a drop-in for the seed's Node app:
// JSON.parse and JSON.stringify (json.go), decodeURIComponent and
// encodeURIComponent (uri.go), Date.prototype.toISOString (date.go),
// String.prototype.trim and Node's Latin-1 reading of header bytes
// (strings.go). Each is tested against node itself.
package js
