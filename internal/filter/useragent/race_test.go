//go:build race

package useragent

// corpusStride: under the race detector, which makes regular expressions
// some ten times slower and has nothing to find in this single-goroutine
// parsing, TestUapCoreCorpus checks every 8th case; without it, all.
const corpusStride = 8
