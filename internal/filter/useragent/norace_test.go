//go:build !race

package useragent

const corpusStride = 1
