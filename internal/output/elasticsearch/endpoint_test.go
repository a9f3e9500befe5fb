package elasticsearch

import (
	"net/url"
	"strings"
	"testing"
)

func TestBulkURL(t *testing.T) {
	t.Parallel()
	params := url.Values{"_msg_field": {"message"}, "_time_field": {"@timestamp"}}
	tests := []struct {
		name   string
		host   string
		ssl    bool
		path   string
		params url.Values
		want   string
	}{
		{"host:port becomes http", "es:9200", false, "", nil, "http://es:9200/_bulk"},
		{"host:port with ssl becomes https", "es:9200", true, "", nil, "https://es:9200/_bulk"},
		{"a host without a port gets 9200", "es", false, "", nil, "http://es:9200/_bulk"},
		{"Logstash's default host", "//127.0.0.1", false, "", nil, "http://127.0.0.1:9200/_bulk"},
		{"a URL without a port gets 9200", "https://es/", false, "", nil, "https://es:9200/_bulk"},
		{"a scheme given wins over ssl", "http://es:9200", true, "", nil, "http://es:9200/_bulk"},
		{"a path is a prefix", "http://logstore:9428/insert/elasticsearch", false, "", nil, "http://logstore:9428/insert/elasticsearch/_bulk"},
		{"a trailing slash is not doubled", "http://logstore:9428/insert/elasticsearch/", false, "", nil, "http://logstore:9428/insert/elasticsearch/_bulk"},
		{"the path option serves hosts without a path", "logstore:9428", false, "insert/elasticsearch", nil, "http://logstore:9428/insert/elasticsearch/_bulk"},
		{"the query stays a query", "http://logstore:9428/insert/elasticsearch?_msg_field=message", false, "", nil,
			"http://logstore:9428/insert/elasticsearch/_bulk?_msg_field=message"},
		{"parameters are appended to the host's query", "http://logstore:9428/insert/elasticsearch?_stream_fields=host", false, "", params,
			"http://logstore:9428/insert/elasticsearch/_bulk?_stream_fields=host&_msg_field=message&_time_field=%40timestamp"},
		{"parameters make the query of a bare host", "127.0.0.1:9428", false, "", url.Values{"a b": {"c&d"}}, "http://127.0.0.1:9428/_bulk?a+b=c%26d"},
		{"an IPv6 host", "[::1]:9200", false, "", nil, "http://[::1]:9200/_bulk"},
		{"an IPv6 host without a port", "[::1]", false, "", nil, "http://[::1]:9200/_bulk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bulkURL(tt.host, tt.ssl, tt.path, tt.params)
			if err != nil || got != tt.want {
				t.Errorf("bulkURL(%q, %v, %q, %v) = %q, %v; want %q", tt.host, tt.ssl, tt.path, tt.params, got, err, tt.want)
			}
		})
	}
}

func TestBulkURLRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ host, path, wantErr string }{
		{"ftp://es:21", "", "want an http or https URL"},
		{"http://", "", "no host name"},
		{"http://elastic:changeme@es:9200", "", "carries credentials"},
		{"http://es:9200/#frag", "", "fragment"},
		{"http://es:9200/%zz", "", "bad host"},
		{"http://es:9200/prefix", "other", "give one of them"},
	}
	for _, tt := range tests {
		_, err := bulkURL(tt.host, false, tt.path, nil)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("bulkURL(%q, path %q) = %v; want an error containing %q", tt.host, tt.path, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "changeme") {
			t.Errorf("bulkURL(%q) error %q shows the password", tt.host, err)
		}
	}
}
