package user

// CanManageAll reports whether a may list, create and delete users.
func CanManageAll(a Actor) bool { return a.IsAdmin() }

// CanRead reports whether a may read the user with id: admins read
// everyone, users only themselves.
func CanRead(a Actor, id string) bool { return a.IsAdmin() || a.ID == id }

// CanUpdate reports whether a may apply p to the user with id: admins
// change anything, users their own fields but never their role.
func CanUpdate(a Actor, id string, p Patch) bool {
	if a.IsAdmin() {
		return true
	}
	return a.ID == id && p.Role == nil
}
