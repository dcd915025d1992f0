package user

import (
	"errors"
	"strings"
	"testing"
)

func TestCreateInputValid(t *testing.T) {
	t.Parallel()
	good := CreateInput{Email: "ada@example.com", Name: "Ada Lovelace", Password: "correct horse battery"}
	tests := []struct {
		name       string
		give       func(CreateInput) CreateInput
		wantFields []string
	}{
		{name: "valid", give: func(in CreateInput) CreateInput { return in }},
		{name: "valid admin", give: func(in CreateInput) CreateInput { in.Role = RoleAdmin; return in }},
		{name: "bad email", give: func(in CreateInput) CreateInput { in.Email = "nope"; return in }, wantFields: []string{"email"}},
		{name: "display name email", give: func(in CreateInput) CreateInput { in.Email = "Ada <ada@example.com>"; return in }, wantFields: []string{"email"}},
		{name: "huge email", give: func(in CreateInput) CreateInput { in.Email = strings.Repeat("a", 250) + "@example.com"; return in }, wantFields: []string{"email"}},
		{name: "empty name", give: func(in CreateInput) CreateInput { in.Name = "  "; return in }, wantFields: []string{"name"}},
		{name: "long name", give: func(in CreateInput) CreateInput { in.Name = strings.Repeat("é", MaxNameLen+1); return in }, wantFields: []string{"name"}},
		{name: "invalid utf8 name", give: func(in CreateInput) CreateInput { in.Name = "\xff"; return in }, wantFields: []string{"name"}},
		{name: "short password", give: func(in CreateInput) CreateInput { in.Password = "short"; return in }, wantFields: []string{"password"}},
		{name: "long password", give: func(in CreateInput) CreateInput { in.Password = strings.Repeat("x", MaxPasswordLen+1); return in }, wantFields: []string{"password"}},
		{name: "bad role", give: func(in CreateInput) CreateInput { in.Role = "root"; return in }, wantFields: []string{"role"}},
		{name: "everything wrong", give: func(CreateInput) CreateInput { return CreateInput{} }, wantFields: []string{"email", "name", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.give(good).Valid(t.Context())
			if len(got) != len(tt.wantFields) {
				t.Fatalf("Valid() = %v, want fields %v", got, tt.wantFields)
			}
			for _, f := range tt.wantFields {
				if got[f] == "" {
					t.Errorf("Valid() lacks field %q: %v", f, got)
				}
			}
		})
	}
}

func TestUpdateInputValid(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	role := func(r Role) *Role { return &r }
	tests := []struct {
		name       string
		give       UpdateInput
		wantFields []string
	}{
		{name: "name only", give: UpdateInput{Name: str("Ada")}},
		{name: "all fields", give: UpdateInput{Email: str("a@example.com"), Name: str("A"), Password: str("long enough password"), Role: role(RoleAdmin)}},
		{name: "empty", give: UpdateInput{}, wantFields: []string{"body"}},
		{name: "bad email", give: UpdateInput{Email: str("x")}, wantFields: []string{"email"}},
		{name: "bad name", give: UpdateInput{Name: str("")}, wantFields: []string{"name"}},
		{name: "bad password", give: UpdateInput{Password: str("x")}, wantFields: []string{"password"}},
		{name: "bad role", give: UpdateInput{Role: role("x")}, wantFields: []string{"role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.give.Valid(t.Context())
			if len(got) != len(tt.wantFields) {
				t.Fatalf("Valid() = %v, want fields %v", got, tt.wantFields)
			}
			for _, f := range tt.wantFields {
				if got[f] == "" {
					t.Errorf("Valid() lacks field %q: %v", f, got)
				}
			}
		})
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	id := NewID()
	tests := []struct {
		give string
		want bool
	}{
		{give: id, want: true},
		{give: strings.ToUpper(id), want: false},
		{give: id[:31], want: false},
		{give: strings.Repeat("g", 32), want: false},
		{give: "", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			if got := ValidID(tt.give); got != tt.want {
				t.Errorf("ValidID(%q) = %t, want %t", tt.give, got, tt.want)
			}
		})
	}
	if NewID() == id {
		t.Error("NewID() repeated itself")
	}
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give   string
		want   string
		wantOK bool
	}{
		{give: "Ada@Example.COM", want: "ada@example.com", wantOK: true},
		{give: " ada@example.com ", want: "ada@example.com", wantOK: true},
		{give: "ada", wantOK: false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			got, ok := NormalizeEmail(tt.give)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("NormalizeEmail(%q) = %q, %t; want %q, %t", tt.give, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	t.Parallel()
	err := error(&ValidationError{Fields: map[string]string{"password": "too short", "email": "bad"}})
	if got, want := err.Error(), "invalid user: email bad; password too short"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var fe interface{ FieldErrors() map[string]string }
	if !errors.As(err, &fe) || len(fe.FieldErrors()) != 2 {
		t.Error("ValidationError does not expose FieldErrors")
	}
}
