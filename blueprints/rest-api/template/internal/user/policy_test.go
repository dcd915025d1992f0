package user

import "testing"

func TestPolicy(t *testing.T) {
	t.Parallel()
	admin := Actor{ID: "a", Role: RoleAdmin}
	alice := Actor{ID: "alice", Role: RoleUser}
	role := RoleAdmin
	tests := []struct {
		name string
		give bool
		want bool
	}{
		{name: "admin manages all", give: CanManageAll(admin), want: true},
		{name: "user cannot manage all", give: CanManageAll(alice), want: false},
		{name: "admin reads anyone", give: CanRead(admin, "bob"), want: true},
		{name: "user reads self", give: CanRead(alice, "alice"), want: true},
		{name: "user cannot read others", give: CanRead(alice, "bob"), want: false},
		{name: "admin changes roles", give: CanUpdate(admin, "bob", Patch{Role: &role}), want: true},
		{name: "user updates self", give: CanUpdate(alice, "alice", Patch{}), want: true},
		{name: "user cannot change own role", give: CanUpdate(alice, "alice", Patch{Role: &role}), want: false},
		{name: "user cannot update others", give: CanUpdate(alice, "bob", Patch{}), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.give != tt.want {
				t.Errorf("got %t, want %t", tt.give, tt.want)
			}
		})
	}
}
