package user

// An Actor is the authenticated caller of the service.
type Actor struct {
	ID   string
	Role Role
}

// IsAdmin reports whether a is an admin.
func (a Actor) IsAdmin() bool { return a.Role == RoleAdmin }

// CanManageAll reports whether a may list, create and delete users.
func CanManageAll(a Actor) bool { return a.IsAdmin() }

// CanRead reports whether a may read the user with id: admins read
// everyone, users only themselves.
func CanRead(a Actor, id string) bool { return a.IsAdmin() || a.ID == id }

// CanUpdate reports whether a may apply in to the user with id: admins
// change anything, users their own fields but never their role.
func CanUpdate(a Actor, id string, in UpdateInput) bool {
	if a.IsAdmin() {
		return true
	}
	return a.ID == id && in.Role == nil
}
