package lsconf

import (
	"fmt"
	"regexp"
)

// placeholder is Logstash 5's ENV_PLACEHOLDER_REGEX.
var placeholder = regexp.MustCompile(`\$\{([a-zA-Z_.][a-zA-Z0-9_.]*)(:([^}]*))?\}`)

// Substitute replaces ${VAR} and ${VAR:default} in every option value of
// every plugin (codecs included), as Logstash 5 does when a plugin
// starts: in strings and barewords, inside arrays and hash values, never
// in hash keys, numbers or conditions. getenv reads the environment; an
// empty value counts as unset (getenv cannot tell them apart), so the
// default applies. A variable that is unset, without a default, is an
// error naming it and the value's position.
func (c *Config) Substitute(getenv func(string) string) error {
	for si := range c.Sections {
		s := &c.Sections[si]
		file := c.File
		if s.File != "" {
			file = s.File
		}
		for pi := range s.Plugins {
			if err := substitutePlugin(&s.Plugins[pi], file, getenv); err != nil {
				return err
			}
		}
	}
	return nil
}

func substitutePlugin(pl *Plugin, file string, getenv func(string) string) error {
	for i := range pl.Settings {
		if err := substituteValue(&pl.Settings[i].Value, file, getenv); err != nil {
			return err
		}
	}
	return nil
}

func substituteValue(v *Value, file string, getenv func(string) string) error {
	switch v.Kind {
	case String, Bareword:
		var missing string
		v.Text = placeholder.ReplaceAllStringFunc(v.Text, func(ph string) string {
			m := placeholder.FindStringSubmatch(ph)
			if val := getenv(m[1]); val != "" {
				return val
			}
			if m[2] == "" && missing == "" {
				missing = m[1]
			}
			return m[3]
		})
		if missing != "" {
			return &Error{File: file, Pos: v.Pos, Msg: fmt.Sprintf(
				"cannot evaluate ${%s}: environment variable %s is not set and there is no default value (write ${%s:default})", missing, missing, missing)}
		}
	case Array:
		for i := range v.Items {
			if err := substituteValue(&v.Items[i], file, getenv); err != nil {
				return err
			}
		}
	case Hash:
		for i := range v.Entries {
			if err := substituteValue(&v.Entries[i].Value, file, getenv); err != nil {
				return err
			}
		}
	case PluginValue:
		return substitutePlugin(v.Plugin, file, getenv)
	}
	return nil
}
