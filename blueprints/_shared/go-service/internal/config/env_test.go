package config

import (
	"bufio"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestReader(t *testing.T) {
	t.Parallel()
	env := getenv(map[string]string{
		"N": "42", "F": "2.5", "B": "true", "D": "1m30s", "L": "warn", "S": " hunter2 ",
		"BAD_N": "x", "BAD_F": "x", "BAD_B": "x", "BAD_D": "x", "BAD_L": "loud",
	})
	r := NewReader(env)
	if got := r.Int(Var{Name: "N"}); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if got := r.Float(Var{Name: "F"}); got != 2.5 {
		t.Errorf("Float = %v", got)
	}
	if got := r.Bool(Var{Name: "B"}); !got {
		t.Errorf("Bool = %v", got)
	}
	if got := r.Duration(Var{Name: "D"}); got != 90*time.Second {
		t.Errorf("Duration = %v", got)
	}
	if got := r.Level(Var{Name: "L"}); got != slog.LevelWarn {
		t.Errorf("Level = %v", got)
	}
	if got := r.Secret(Var{Name: "S"}).Reveal(); got != "hunter2" {
		t.Errorf("Secret = %q", got)
	}
	if got := r.String(Var{Name: "UNSET", Default: "def"}); got != "def" {
		t.Errorf("String default = %q", got)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}

	r.Int(Var{Name: "BAD_N"})
	r.Float(Var{Name: "BAD_F"})
	r.Bool(Var{Name: "BAD_B"})
	r.Duration(Var{Name: "BAD_D"})
	r.Level(Var{Name: "BAD_L"})
	r.Fail(Var{Name: "CUSTOM"}, "must be %s", "set")
	err := r.Err()
	if err == nil {
		t.Fatal("Err() = nil, want errors")
	}
	for _, name := range []string{"BAD_N", "BAD_F", "BAD_B", "BAD_D", "BAD_L", "CUSTOM"} {
		if !strings.Contains(err.Error(), name+":") {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestFloatRefusesWhatNoRangeCheckCatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give    string
		want    float64
		wantErr string
	}{
		{give: "0.25", want: 0.25},
		{give: "-3", want: -3},
		{give: "1e3", want: 1000},
		{give: "NaN", wantErr: "not a finite number"},
		{give: "nan", wantErr: "not a finite number"},
		{give: "Inf", wantErr: "not a finite number"},
		{give: "+Inf", wantErr: "not a finite number"},
		{give: "-infinity", wantErr: "not a finite number"},
		{give: "1e400", wantErr: "not a finite number"},
		{give: "-1e400", wantErr: "not a finite number"},
		{give: "ten", wantErr: "not a number"},
		{give: "0x", wantErr: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			r := NewReader(getenv(map[string]string{"RATE": tt.give}))
			got := r.Float(Var{Name: "RATE"})
			err := r.Err()
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Float(%q) = %v, %v; want %v", tt.give, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "RATE: ") || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Float(%q) error = %v; want one naming RATE and %q", tt.give, err, tt.wantErr)
			}
			if got != 0 && !math.IsNaN(got) && !math.IsInf(got, 0) && tt.wantErr == "not a finite number" {
				t.Errorf("Float(%q) = %v", tt.give, got)
			}
		})
	}
}

func TestSecretIsRedacted(t *testing.T) {
	t.Parallel()
	s := Secret("hunter2")
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).InfoContext(t.Context(), "cfg", slog.Any("secret", s))
	if strings.Contains(sb.String(), "hunter2") || !strings.Contains(sb.String(), Redacted) {
		t.Errorf("log = %s", sb.String())
	}
	if s.String() != Redacted {
		t.Errorf("String() = %q", s.String())
	}
}

func TestCommon(t *testing.T) {
	t.Parallel()
	r := NewReader(getenv(map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}))
	c := r.Common()
	if c.HTTPAddr != ":8080" || c.DebugAddr != "127.0.0.1:6060" || c.LogLevel != slog.LevelInfo {
		t.Errorf("Common() = %+v", c)
	}
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "SHUTDOWN_TIMEOUT") {
		t.Errorf("Err() = %v, want a SHUTDOWN_TIMEOUT error", err)
	}
}

// TestProductionUnlessDev: only the exact APP_ENV=dev is development;
// unset, misspelt or any other value is production, and a value that is
// dev but for case or spaces is refused, so nobody believes they run one
// mode while running the other.
func TestProductionUnlessDev(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give    string
		wantDev bool
		wantErr bool
	}{
		{give: "", wantDev: false},
		{give: "production", wantDev: false},
		{give: " production ", wantDev: false},
		{give: "staging", wantDev: false},
		{give: "development", wantDev: false},
		{give: "dev", wantDev: true},
		{give: "Dev", wantErr: true},
		{give: " dev", wantErr: true},
		{give: "dev ", wantErr: true},
		{give: " dev ", wantErr: true},
		{give: "dev\n", wantErr: true},
		{give: "\tDEV", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			r := NewReader(getenv(map[string]string{"APP_ENV": tt.give}))
			c := r.Common()
			if c.Dev() != tt.wantDev {
				t.Errorf("APP_ENV=%q: Dev() = %t, want %t", tt.give, c.Dev(), tt.wantDev)
			}
			if err := r.Err(); (err != nil) != tt.wantErr || tt.wantErr && !strings.Contains(err.Error(), "APP_ENV") {
				t.Errorf("APP_ENV=%q: Err() = %v, want an APP_ENV error: %t", tt.give, err, tt.wantErr)
			}
		})
	}
}

func TestPrefixes(t *testing.T) {
	t.Parallel()
	r := NewReader(getenv(map[string]string{
		"OK":  " 10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,::ffff:198.51.100.1, 10.1.2.3/16",
		"BAD": "10.0.0.0/8,not-an-ip",
	}))
	got := r.Prefixes(Var{Name: "OK"})
	want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "198.51.100.1/32", "10.1.0.0/16"}
	if len(got) != len(want) {
		t.Fatalf("Prefixes() = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("prefix %d = %s, want %s", i, got[i], want[i])
		}
	}
	if none := r.Prefixes(Var{Name: "UNSET"}); len(none) != 0 {
		t.Errorf("unset = %v, want none", none)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	r.Prefixes(Var{Name: "BAD"})
	if err := r.Err(); err == nil || !strings.Contains(err.Error(), "BAD") || !strings.Contains(err.Error(), "not-an-ip") {
		t.Errorf("Err() = %v, want an error naming BAD and the bad entry", err)
	}
	if v := TrustedProxiesVar(); v.Name != "TRUSTED_PROXIES" || v.Default != "" {
		t.Errorf("TrustedProxiesVar() = %+v", v)
	}
}

func TestTrustedProxiesRefusesEveryone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give    string
		wantErr string // empty: accepted
	}{
		{give: "10.0.0.0/8, fd00::/8, 192.0.2.7"},
		{give: ""},
		{give: "0.0.0.0/0", wantErr: "0.0.0.0/0 trusts"},
		{give: "::/0", wantErr: "::/0 trusts"},
		{give: "10.0.0.0/8,0.0.0.0/1", wantErr: "0.0.0.0/1 trusts"},
		{give: "128.0.0.0/7", wantErr: "128.0.0.0/7 trusts"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			r := NewReader(getenv(map[string]string{"TRUSTED_PROXIES": tt.give}))
			r.TrustedProxies(TrustedProxiesVar())
			err := r.Err()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("TrustedProxies(%q) error = %v, want none", tt.give, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("TrustedProxies(%q) error = %v, want one naming TRUSTED_PROXIES and %q", tt.give, err, tt.wantErr)
			}
		})
	}
}

func TestUsageListsEveryVar(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	if err := Usage(&sb, Vars()); err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars() {
		if !strings.Contains(sb.String(), v.Name) {
			t.Errorf("usage lacks %s", v.Name)
		}
	}
}

// TestEnvExampleMatchesVars keeps .env.example in step with Vars: the same
// keys, each once.
func TestEnvExampleMatchesVars(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("line %q is not KEY=value", line)
			continue
		}
		keys = append(keys, key)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range Vars() {
		want = append(want, v.Name)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf(".env.example keys = %v\nVars() = %v", keys, want)
	}
}
