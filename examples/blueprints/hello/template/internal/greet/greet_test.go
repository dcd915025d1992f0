package greet

import (
	"strings"
	"testing"
)

func TestGreet(t *testing.T) {
	tests := []struct {
		name     string
		give     Greeter
		giveName string
		want     string
	}{
		{"plain", Greeter{Greeting: "Hi"}, "Ann", "Hi, Ann!\n"},
		{"repeat", Greeter{Greeting: "Hi", Repeat: 2}, "Bo", "Hi, Bo!\nHi, Bo!\n"},
		{"json", Greeter{Greeting: "Hi", JSON: true}, "Cy", `{"greeting":"Hi","name":"Cy"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := tt.give.Greet(&b, tt.giveName); err != nil {
				t.Fatalf("Greet: %v", err)
			}
			if got := b.String(); got != tt.want {
				t.Errorf("Greet() = %q, want %q", got, tt.want)
			}
		})
	}
}
