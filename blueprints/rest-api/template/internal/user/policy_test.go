package user

import "testing"

func TestPolicy(t *testing.T) {
	t.Parallel()
	admin := Actor{ID: "a", Role: RoleAdmin}
	alice := Actor{ID: "alice", Role: RoleUser}
	role := RoleAdmin
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{name: "admin manages all", got: CanManageAll(admin), want: true},
		{name: "user cannot manage all", got: CanManageAll(alice), want: false},
		{name: "admin reads anyone", got: CanRead(admin, "bob"), want: true},
		{name: "user reads self", got: CanRead(alice, "alice"), want: true},
		{name: "user cannot read others", got: CanRead(alice, "bob"), want: false},
		{name: "admin changes roles", got: CanUpdate(admin, "bob", UpdateInput{Role: &role}), want: true},
		{name: "user updates self", got: CanUpdate(alice, "alice", UpdateInput{}), want: true},
		{name: "user cannot change own role", got: CanUpdate(alice, "alice", UpdateInput{Role: &role}), want: false},
		{name: "user cannot update others", got: CanUpdate(alice, "bob", UpdateInput{}), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.got != tt.want {
				t.Errorf("got %t, want %t", tt.got, tt.want)
			}
		})
	}
}
