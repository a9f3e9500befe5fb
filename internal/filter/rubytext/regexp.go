package rubytext

import (
	"time"

	"github.com/dlclark/regexp2/v2"
)

// MatchTimeout bounds one match of a Regexp, so that a pathological
// pattern cannot stall the pipeline (Logstash 5 has no bound).
const MatchTimeout = 2 * time.Second

// Regexp compiles a Ruby regular expression (Regexp.new) with a
// backtracking engine, as Ruby's is: ^ and $ match at line boundaries,
// as in Ruby, and a match gives up after MatchTimeout.
func Regexp(expr string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(expr, regexp2.Multiline)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = MatchTimeout
	return re, nil
}
