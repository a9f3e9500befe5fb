package joda

import (
	"fmt"
	"slices"
	"strings"
)

// Locale holds the names Joda-Time parses for text fields. The tables
// are those of Java 8's JRE locale data, which Logstash 5 runs on.
type Locale struct {
	Tag         string
	Months      [12]string // January …
	ShortMonths [12]string
	Days        [7]string // Monday … Sunday (Joda's dayOfWeek 1..7)
	ShortDays   [7]string
	AmPm        [2]string
	Eras        [2]string // BC, AD
}

var locales = map[string]*Locale{
	"en": {
		Months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		ShortMonths: [12]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
		Days:        [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"},
		ShortDays:   [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"BC", "AD"},
	},
	"de": {
		Months:      [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		ShortMonths: [12]string{"Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"},
		Days:        [7]string{"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"},
		ShortDays:   [7]string{"Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"},
		AmPm:        [2]string{"vorm.", "nachm."},
		Eras:        [2]string{"v. Chr.", "n. Chr."},
	},
	"fr": {
		Months:      [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		ShortMonths: [12]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
		Days:        [7]string{"lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"},
		ShortDays:   [7]string{"lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"BC", "ap. J.-C."},
	},
	"es": {
		Months:      [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		ShortMonths: [12]string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"},
		Days:        [7]string{"lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"},
		ShortDays:   [7]string{"lun", "mar", "mié", "jue", "vie", "sáb", "dom"},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"antes de Cristo", "anno Dómini"},
	},
	"it": {
		Months:      [12]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"},
		ShortMonths: [12]string{"gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"},
		Days:        [7]string{"lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"},
		ShortDays:   [7]string{"lun", "mar", "mer", "gio", "ven", "sab", "dom"},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"BC", "dopo Cristo"},
	},
	"nl": {
		Months:      [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		ShortMonths: [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"},
		Days:        [7]string{"maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"},
		ShortDays:   [7]string{"ma", "di", "wo", "do", "vr", "za", "zo"},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"v. Chr.", "n. Chr."},
	},
	"pt": {
		Months:      [12]string{"Janeiro", "Fevereiro", "Março", "Abril", "Maio", "Junho", "Julho", "Agosto", "Setembro", "Outubro", "Novembro", "Dezembro"},
		ShortMonths: [12]string{"jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"},
		Days:        [7]string{"Segunda-feira", "Terça-feira", "Quarta-feira", "Quinta-feira", "Sexta-feira", "Sábado", "Domingo"},
		ShortDays:   [7]string{"Seg", "Ter", "Qua", "Qui", "Sex", "Sáb", "Dom"},
		AmPm:        [2]string{"AM", "PM"},
		Eras:        [2]string{"a.C.", "d.C."},
	},
}

// English is the locale Logstash's JVM defaults to in its images.
var English = lookupLocaleMust("en")

// lookupLocaleMust is LookupLocale for tags known to be supported.
func lookupLocaleMust(tag string) *Locale {
	l, err := LookupLocale(tag)
	if err != nil {
		panic(err)
	}
	return l
}

// LookupLocale returns the names for a BCP 47 tag ("en", "en-US", "fr",
// "de-CH"): its language decides, as in Java's locale data for these
// languages.
func LookupLocale(tag string) (*Locale, error) {
	lang, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	l, ok := locales[strings.ToLower(lang)]
	if !ok {
		names := make([]string, 0, len(locales))
		for n := range locales {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("locale %q: month and day names are known for %s only", tag, strings.Join(names, ", "))
	}
	c := *l
	c.Tag = tag
	return &c, nil
}
