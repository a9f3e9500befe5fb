#!/usr/bin/env bash
# Prints the host's Debian apt sources for SUITE (default bookworm) as one
# deb822 document, for mmdebstrap: the mirror is whatever this host already
# uses, never a host named here. Third-party repositories (a Signed-By other
# than Debian's archive keyring) are dropped so that redis-server can only
# come from Debian. Fails if no Debian source for SUITE is configured.
set -euo pipefail
suite=${1:-bookworm}
out=$(
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      # One-line style: deb [options] URI SUITE COMPONENT...
      awk -v suite="$suite" '
        $1 != "deb" { next }
        {
          opts = ""; i = 2
          if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
          if (opts ~ /signed-by=/ && opts !~ /debian-archive-keyring/) next
          if ($(i+1) !~ "^" suite "(-updates|-security)?$") next
          comps = ""; for (j = i + 2; j <= NF; j++) comps = comps " " $j
          printf "Types: deb\nURIs: %s\nSuites: %s\nComponents:%s\n\n", $i, $(i+1), comps
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      # deb822 style: blank-line separated stanzas; keep Debian's own.
      awk -v suite="$suite" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && suites ~ "(^| )" suite "(-updates|-security)?( |$)" &&
              (signed == "" || signed ~ /debian-archive-keyring/) && enabled !~ /^no$/)
            printf "%s\n", stanza
          stanza = types = suites = signed = enabled = ""
        }
        /^[[:space:]]*#/ { next }
        /^[[:space:]]*$/ { flush(); next }
        {
          stanza = stanza $0 "\n"
          if (tolower($1) == "types:") { types = $0; sub(/^[^:]*:[[:space:]]*/, "", types) }
          if (tolower($1) == "suites:") { suites = $0; sub(/^[^:]*:[[:space:]]*/, "", suites) }
          if (tolower($1) == "signed-by:") { signed = $0 }
          if (tolower($1) == "enabled:") { enabled = $2 }
        }
        END { flush() }' "$f"
    done
  }
)
if [ -z "$out" ]; then
  echo "apt-sources.sh: no Debian '$suite' source in /etc/apt/sources.list*; add one (Types: deb, Suites: $suite)" >&2
  exit 1
fi
printf '%s\n' "$out"
