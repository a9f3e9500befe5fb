// Package lsconf is Logstash 5's pipeline configuration language: text →
// syntax tree with positions. It knows no plugin: each plugin declares
// and checks its own options (internal/plugin).
//
// Parse implements the grammar of Logstash 5's grammar.treetop: sections,
// plugins (names bare or quoted), `key => value` attributes, strings,
// numbers, barewords, arrays, hashes, # comments, and in filter and output
// sections the conditionals if / else if / else with their expressions.
// Parse merges a plugin's repeated options as Logstash does (merge.go);
// Substitute expands ${VAR} and ${VAR:default} in option values; Load
// reads a file or a directory. Every error is an *Error naming
// file:line:col.
package lsconf

import "fmt"

// Pos is a position in a config source. Line and Col count from 1; Col
// counts characters (runes), not bytes.
type Pos struct {
	Line, Col int
}

// Error is a config error at a position.
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Config is a parsed config: its sections in source order.
type Config struct {
	File     string
	Sections []Section
}

// Section is one input, filter or output block.
type Section struct {
	Kind string // "input", "filter" or "output"
	// File is the file the section comes from (configs loaded from a
	// directory mix files); empty means Config.File.
	File string
	Pos  Pos
	// Body is the section's statements in order: plugins and, in filter
	// and output sections, conditionals.
	Body []Statement
	// Plugins is every plugin of the section in source order, those
	// inside conditionals included: Body's Plugin fields point into it.
	Plugins []Plugin
}

// Statement is a plugin or a conditional: exactly one field is set.
type Statement struct {
	Plugin *Plugin
	If     *If
}

// If is a conditional: `if` and its `else if`s, then maybe an `else`.
// The first branch whose condition holds runs; the else branch has a nil
// Cond.
type If struct {
	Pos      Pos
	Branches []Branch
}

// Branch is one arm of a conditional.
type Branch struct {
	Pos  Pos
	Cond Expr // nil for else
	Body []Statement
}

// Plugin is a plugin block such as `file { path => "/x" }`.
type Plugin struct {
	Name     string
	Pos      Pos
	Settings []Setting
}

// Setting is one `key => value` attribute of a plugin. A key written more
// than once in a block is one Setting with the values merged (see
// mergeSettings).
type Setting struct {
	Key   string
	Pos   Pos
	Value Value
}

// Kind is the syntactic kind of a value.
type Kind int

// The kinds of values.
const (
	String Kind = iota + 1
	Number
	Bareword
	Array
	Hash
	PluginValue // a plugin used as a value, e.g. `codec => line { format => "x" }`
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Number:
		return "number"
	case Bareword:
		return "bareword"
	case Array:
		return "array"
	case Hash:
		return "hash"
	case PluginValue:
		return "plugin"
	}
	return "unknown"
}

// Value is a config value. Text holds the unescaped string, the number's
// literal or the bareword; Items the array elements; Entries the hash
// entries; Plugin the plugin of a PluginValue.
type Value struct {
	Kind    Kind
	Pos     Pos
	Text    string
	Items   []Value
	Entries []Entry
	Plugin  *Plugin
}

// Entry is one `key => value` pair of a hash. The key is a string, number
// or bareword; its text is in Key.
type Entry struct {
	Key   string
	Pos   Pos
	Value Value
}
