// Package greet writes greetings.
package greet

import (
	"encoding/json"
	"fmt"
	"io"
)

// Greeter writes Greeting to a name, Repeat times, as text or JSON.
type Greeter struct {
	Greeting string
	Repeat   int
	JSON     bool
}

// Greet writes the greetings for name to w.
func (g Greeter) Greet(w io.Writer, name string) error {
	for range max(g.Repeat, 1) {
		var err error
		if g.JSON {
			err = json.NewEncoder(w).Encode(map[string]string{"greeting": g.Greeting, "name": name})
		} else {
			_, err = fmt.Fprintf(w, "%s, %s!\n", g.Greeting, name)
		}
		if err != nil {
			return fmt.Errorf("write greeting: %w", err)
		}
	}
	return nil
}
