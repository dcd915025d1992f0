package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// manyKeys returns a JSON object of just under size bytes made of short
// distinct keys: the body of the member-count amplification attack.
func manyKeys(size int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; b.Len() < size-16; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":0`, i)
	}
	b.WriteByte('}')
	return b.String()
}

func jsonRequest(tb testing.TB, body string) *http.Request {
	tb.Helper()
	r := httptest.NewRequestWithContext(tb.Context(), http.MethodPost, "/x", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

// TestDecodeBoundsWorkOnManyMembers sends the 1 MiB body of ~100,000 keys
// from the attack note: the decoders must refuse it after MaxMembers
// members, so what one request allocates stays near the body size, far
// from the tens of MB a member map of that size costs.
func TestDecodeBoundsWorkOnManyMembers(t *testing.T) {
	body := manyKeys(MaxBodyBytes - 64)
	decoders := map[string]func(http.ResponseWriter, *http.Request) error{
		"DecodeObject": func(w http.ResponseWriter, r *http.Request) error { _, err := DecodeObject(w, r); return err },
		"Decode":       func(w http.ResponseWriter, r *http.Request) error { _, err := Decode[map[string]int](w, r); return err },
	}
	for name, decode := range decoders {
		t.Run(name, func(t *testing.T) {
			var err error
			allocs := testing.AllocsPerRun(3, func() {
				err = decode(httptest.NewRecorder(), jsonRequest(t, body))
			})
			var reqErr *RequestError
			if !errors.As(err, &reqErr) || reqErr.Status != http.StatusBadRequest || !strings.Contains(reqErr.Detail, "members") {
				t.Fatalf("error = %v, want a 400 naming the member limit", err)
			}
			if allocs > 20*MaxMembers+500 {
				t.Errorf("%.0f allocations per request, want at most %d", allocs, 20*MaxMembers+500)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range 3 {
				_ = decode(httptest.NewRecorder(), jsonRequest(t, body))
			}
			runtime.ReadMemStats(&after)
			perRequest := (after.TotalAlloc - before.TotalAlloc) / 3
			if limit := uint64(4 * MaxBodyBytes); perRequest > limit {
				t.Errorf("%d bytes allocated per request, want at most %d (4x the body limit)", perRequest, limit)
			}
		})
	}
}

func TestDecodeStrictJSON(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, MaxDepth+1) + "1" + strings.Repeat("}", MaxDepth+1)
	fine := strings.Repeat(`{"a":`, MaxDepth-1) + "1" + strings.Repeat("}", MaxDepth-1)
	tests := []struct {
		name       string
		giveType   string
		giveBody   string
		wantStatus int // 0: accepted
		wantDetail string
	}{
		{name: "plain", giveBody: `{"name":"ada"}`},
		{name: "nested values", giveBody: `{"name":"ada","x":{"a":[1,{"a":2}],"b":null}}`},
		{name: "same key in sibling objects", giveBody: `{"name":"ada","x":[{"a":1},{"a":2}]}`},
		{name: "surrogate pair", giveBody: `{"name":"\ud83d\ude00"}`},
		{name: "escaped backslash before u", giveBody: `{"name":"\\ud800"}`},
		{name: "charset utf-8", giveType: "application/json; charset=UTF-8", giveBody: `{"name":"ada"}`},
		{name: "nesting at the limit", giveBody: `{"name":"ada","x":` + fine + `}`},
		{name: "duplicate key", giveBody: `{"name":"a","name":"b"}`, wantStatus: 400, wantDetail: `duplicate member "name"`},
		{name: "duplicate key by escape", giveBody: `{"name":"a","n\u0061me":"b"}`, wantStatus: 400, wantDetail: "duplicate member"},
		{name: "nested duplicate key", giveBody: `{"name":"a","x":{"a":1,"a":2}}`, wantStatus: 400, wantDetail: `duplicate member "a"`},
		// encoding/json matches a member to a field whatever its case, the
		// last one winning: a gateway that reads "name" must not see "a"
		// while the handler decodes "b".
		{name: "duplicate key in another case", giveBody: `{"name":"a","NAME":"b"}`, wantStatus: 400, wantDetail: `duplicate member "NAME"`},
		{name: "duplicate key by Unicode case folding", giveBody: `{"name":"a","\u212Aey":1,"key":2}`, wantStatus: 400, wantDetail: `duplicate member "key"`},
		{name: "invalid utf-8", giveBody: "{\"name\":\"\xff\xfe\"}", wantStatus: 400, wantDetail: "UTF-8"},
		{name: "lone high surrogate", giveBody: `{"name":"\ud800x"}`, wantStatus: 400, wantDetail: "surrogate"},
		{name: "lone low surrogate", giveBody: `{"name":"\udc00"}`, wantStatus: 400, wantDetail: "surrogate"},
		{name: "high surrogate at end", giveBody: `{"name":"a\ud83d"}`, wantStatus: 400, wantDetail: "surrogate"},
		{name: "too deep", giveBody: `{"name":"ada","x":` + deep + `}`, wantStatus: 400, wantDetail: "nested"},
		{name: "too many members", giveBody: manyKeys(20 * MaxMembers), wantStatus: 400, wantDetail: "members"},
		{name: "charset latin1", giveType: "application/json; charset=latin1", giveBody: `{"name":"ada"}`, wantStatus: 415, wantDetail: "UTF-8"},
		{name: "trailing data", giveBody: `{"name":"ada"} 1`, wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := func(t *testing.T, err error) {
				t.Helper()
				if tt.wantStatus == 0 {
					if err != nil {
						t.Fatalf("error = %v, want none", err)
					}
					return
				}
				var reqErr *RequestError
				if !errors.As(err, &reqErr) || reqErr.Status != tt.wantStatus || !strings.Contains(reqErr.Detail, tt.wantDetail) {
					t.Fatalf("error = %v, want status %d with %q", err, tt.wantStatus, tt.wantDetail)
				}
			}
			newRequest := func() *http.Request {
				r := jsonRequest(t, tt.giveBody)
				if tt.giveType != "" {
					r.Header.Set("Content-Type", tt.giveType)
				}
				return r
			}
			t.Run("DecodeObject", func(t *testing.T) {
				_, err := DecodeObject(httptest.NewRecorder(), newRequest())
				check(t, err)
			})
			t.Run("Decode", func(t *testing.T) {
				_, err := Decode[map[string]any](httptest.NewRecorder(), newRequest())
				check(t, err)
			})
		})
	}
}

func TestDecodeObjectLimit(t *testing.T) {
	t.Parallel()
	body := `{"a":"` + strings.Repeat("x", 5000) + `"}`
	_, err := DecodeObjectLimit(httptest.NewRecorder(), jsonRequest(t, body), 4096)
	var reqErr *RequestError
	if !errors.As(err, &reqErr) || reqErr.Status != http.StatusRequestEntityTooLarge || !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("DecodeObjectLimit(5 KB body, 4096) error = %v, want 413", err)
	}
	if _, err := DecodeObjectLimit(httptest.NewRecorder(), jsonRequest(t, `{"a":1}`), 4096); err != nil {
		t.Fatalf("DecodeObjectLimit(small body) error = %v", err)
	}
}
