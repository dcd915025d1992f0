package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type sample struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

func (s sample) Valid(context.Context) map[string]string {
	if s.Name == "" {
		return map[string]string{"name": "must not be empty"}
	}
	return nil
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		giveType    string
		giveBody    string
		wantErr     error
		wantStatus  int
		wantInvalid bool
	}{
		{name: "valid", giveType: "application/json", giveBody: `{"name":"ada","age":36}`},
		{name: "charset parameter", giveType: "application/json; charset=utf-8", giveBody: `{"name":"ada"}`},
		{name: "missing content type", giveBody: `{"name":"ada"}`, wantErr: ErrUnsupportedMediaType, wantStatus: http.StatusUnsupportedMediaType},
		{name: "wrong content type", giveType: "text/plain", giveBody: `{"name":"ada"}`, wantErr: ErrUnsupportedMediaType, wantStatus: http.StatusUnsupportedMediaType},
		{name: "unknown field", giveType: "application/json", giveBody: `{"name":"ada","id":"x"}`, wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "syntax error", giveType: "application/json", giveBody: `{"name":`, wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "bad syntax mid-body", giveType: "application/json", giveBody: `{"name" "ada"}`, wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "wrong type", giveType: "application/json", giveBody: `{"name":1}`, wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "empty body", giveType: "application/json", wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "trailing data", giveType: "application/json", giveBody: `{"name":"ada"} {}`, wantErr: ErrMalformedBody, wantStatus: http.StatusBadRequest},
		{name: "too large", giveType: "application/json", giveBody: `{"name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, wantErr: ErrBodyTooLarge, wantStatus: http.StatusRequestEntityTooLarge},
		{name: "invalid", giveType: "application/json", giveBody: `{"age":3}`, wantInvalid: true, wantStatus: http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/x", strings.NewReader(tt.giveBody))
			if tt.giveType != "" {
				r.Header.Set("Content-Type", tt.giveType)
			}
			got, err := Decode[sample](httptest.NewRecorder(), r)
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode() error = %v, want %v", err, tt.wantErr)
			}
			var verr *ValidationError
			if tt.wantInvalid != errors.As(err, &verr) {
				t.Fatalf("Decode() error = %v, want validation error: %t", err, tt.wantInvalid)
			}
			if tt.wantErr == nil && !tt.wantInvalid {
				if err != nil {
					t.Fatalf("Decode() error = %v", err)
				}
				if got.Name != "ada" {
					t.Errorf("Decode() = %+v, want name ada", got)
				}
				return
			}
			p := NewProblems(discardLogger()).Problem(r, err)
			if p.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d", p.Status, tt.wantStatus)
			}
		})
	}
}

func TestEncode(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	if err := Encode(w, http.StatusCreated, sample{Name: "ada"}); err != nil {
		t.Fatalf("Encode() error = %v", err)
	}
	if w.Code != http.StatusCreated {
		t.Errorf("status = %d, want %d", w.Code, http.StatusCreated)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q", got)
	}
	if got, want := w.Body.String(), `{"name":"ada","age":0}`+"\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	if err := Encode(httptest.NewRecorder(), http.StatusOK, func() {}); err == nil {
		t.Error("Encode(func) error = nil, want an error")
	}
}

func TestRequestErrorText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give *RequestError
		want string
	}{
		{name: "detail only", give: &RequestError{Status: 400, Detail: "limit too large"}, want: "limit too large"},
		{name: "wrapped", give: &RequestError{Status: 400, Detail: "bad", Err: ErrMalformedBody}, want: "bad: malformed request body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.give.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveType   string
		giveBody   string
		wantKeys   []string
		wantStatus int
	}{
		{name: "object", giveType: "application/json", giveBody: `{"name":"ada","role":null,"x":[1]}`, wantKeys: []string{"name", "role", "x"}},
		{name: "empty object", giveType: "application/json", giveBody: `{}`},
		{name: "null body", giveType: "application/json", giveBody: `null`, wantStatus: http.StatusBadRequest},
		{name: "array", giveType: "application/json", giveBody: `[]`, wantStatus: http.StatusBadRequest},
		{name: "string", giveType: "application/json", giveBody: `"x"`, wantStatus: http.StatusBadRequest},
		{name: "trailing data", giveType: "application/json", giveBody: `{} {}`, wantStatus: http.StatusBadRequest},
		{name: "syntax", giveType: "application/json", giveBody: `{"a":`, wantStatus: http.StatusBadRequest},
		{name: "content type", giveType: "text/plain", giveBody: `{}`, wantStatus: http.StatusUnsupportedMediaType},
		{name: "too large", giveType: "application/json", giveBody: `{"a":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, wantStatus: http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/x", strings.NewReader(tt.giveBody))
			r.Header.Set("Content-Type", tt.giveType)
			got, err := DecodeObject(httptest.NewRecorder(), r)
			if tt.wantStatus != 0 {
				var reqErr *RequestError
				if !errors.As(err, &reqErr) || reqErr.Status != tt.wantStatus {
					t.Fatalf("DecodeObject() error = %v, want status %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil || len(got) != len(tt.wantKeys) {
				t.Fatalf("DecodeObject() = %v, %v; want keys %v", got, err, tt.wantKeys)
			}
			for _, k := range tt.wantKeys {
				if _, ok := got[k]; !ok {
					t.Errorf("member %q missing", k)
				}
			}
		})
	}
}
