package catalog

// Role is what a console user may do; roles are the user pool's groups.
// The machine admin token counts as RoleAdmin.
type Role string

const (
	// RoleNone is a signed-in user in no group: they may call nothing.
	RoleNone     Role = ""
	RoleViewer   Role = "viewer"
	RoleMarketer Role = "marketer"
	// RoleApprover is a marketer who may also approve campaigns.
	RoleApprover Role = "approver"
	RoleAdmin    Role = "admin"
)

// Roles lists the roles from least to most allowed; a user in several
// groups gets the highest.
var roleRank = map[Role]int{RoleNone: 0, RoleViewer: 1, RoleMarketer: 2, RoleApprover: 3, RoleAdmin: 4}

// Roles returns the roles that exist, least allowed first (they are the
// user pool's groups).
func Roles() []Role { return []Role{RoleViewer, RoleMarketer, RoleApprover, RoleAdmin} }

// ParseRole reports whether name is a known role.
func ParseRole(name string) (Role, bool) {
	r := Role(name)
	_, ok := roleRank[r]
	return r, ok && r != RoleNone
}

// HighestRole is the most allowed of the groups; unknown groups are ignored.
func HighestRole(groups []string) Role {
	best := RoleNone
	for _, g := range groups {
		if r, ok := ParseRole(g); ok && roleRank[r] > roleRank[best] {
			best = r
		}
	}
	return best
}

// Action is the class of an admin route, which decides the least role that
// may call it. Every admin route names one (Validate checks).
type Action string

const (
	// ActRead reads what is not a bulk personal-data download.
	ActRead Action = "read"
	// ActReadPersonalData downloads a contact's data (exports): not viewers.
	ActReadPersonalData Action = "read-personal-data"
	// ActWrite changes contacts, definitions or sends mail.
	ActWrite Action = "write"
	// ActAdminOnly manages users and sending settings.
	ActAdminOnly Action = "admin-only"
	// ActApprove approves a campaign (someone other than its author).
	ActApprove Action = "approve"
)

// minRole is the access table: the least role allowed each action class.
var minRole = map[Action]Role{
	ActRead:             RoleViewer,
	ActReadPersonalData: RoleMarketer,
	ActWrite:            RoleMarketer,
	ActAdminOnly:        RoleAdmin,
	ActApprove:          RoleApprover,
}

// MinRole is the least role allowed the action ("" for an unknown action,
// which nobody may perform).
func (a Action) MinRole() (Role, bool) {
	r, ok := minRole[a]
	return r, ok
}

// Audited reports whether a call of the route is recorded in the audit
// log: every change (any method but GET on a non-read route) and every
// personal-data export, which is a read but lets personal data leave.
func (r Route) Audited() bool {
	switch {
	case r.Action == ActReadPersonalData:
		return true
	case r.Action == ActRead, r.Method == "GET":
		return false
	}
	return true
}

// Can reports whether the role may perform the action.
func (r Role) Can(a Action) bool {
	min, ok := minRole[a]
	return ok && r != RoleNone && roleRank[r] >= roleRank[min]
}
