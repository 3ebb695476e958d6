package catalog

// DefinitionKind is one kind of marketing definition (shared/definition).
// Its admin routes are generated from this list: the kind's own routes
// under Path, which outside clients use, and the common ones under
// /v1/definitions/{kind}.
type DefinitionKind struct {
	// Name is the kind's value ("forms"), its {kind} in /v1/definitions.
	Name string
	// Path is the kind's own route ("/v1/forms").
	Path string
	// Param names a keyed kind's id in Path ("formId"); empty for a
	// singleton (one definition, id "default").
	Param string
	// Edit is the action class of saving or deleting one (ActWrite when
	// empty); sending settings are ActAdminOnly.
	Edit Action
}

// EditAction is the action class of changing a definition of the kind.
func (k DefinitionKind) EditAction() Action {
	if k.Edit == "" {
		return ActWrite
	}
	return k.Edit
}

// DefinitionKindNamed returns the kind of that name.
func DefinitionKindNamed(name string) (DefinitionKind, bool) {
	for _, k := range DefinitionKinds() {
		if k.Name == name {
			return k, true
		}
	}
	return DefinitionKind{}, false
}

// DefinitionKinds lists every kind; definitions.Specs has one per name.
func DefinitionKinds() []DefinitionKind {
	return []DefinitionKind{
		{Name: "forms", Path: "/v1/forms", Param: "formId"},
		{Name: "templates", Path: "/v1/templates", Param: "id"},
		{Name: "interests", Path: "/v1/interests"},
		{Name: "scoring", Path: "/v1/scoring"},
		{Name: "topics", Path: "/v1/topics"},
		{Name: "sending", Path: "/v1/sending", Edit: ActAdminOnly},
		{Name: "segments", Path: "/v1/segments", Param: "id"},
		{Name: "lists", Path: "/v1/lists", Param: "id"},
		{Name: "journeys", Path: "/v1/journeys", Param: "id"},
		{Name: "campaigns", Path: "/v1/campaigns", Param: "id"},
	}
}

// Routes of the registry common to every kind.
const (
	DefinitionsPath = "/v1/definitions"
	DefinitionPath  = "/v1/definitions/{kind}/{id}"
)

// DefinitionRoutes are the admin routes of every kind: its own (a list,
// get, put and delete for a keyed kind; get and put for a singleton) and
// the common ones (drift, one definition, its versions).
func DefinitionRoutes() []Route {
	var rs []Route
	for _, k := range DefinitionKinds() {
		if k.Param == "" {
			rs = append(rs, Route{Method: "GET", Path: k.Path, Auth: Admin, Action: ActRead}, Route{Method: "PUT", Path: k.Path, Auth: Admin, Action: k.EditAction()})
			continue
		}
		item := k.Path + "/{" + k.Param + "}"
		rs = append(rs,
			Route{Method: "GET", Path: k.Path, Auth: Admin, Action: ActRead},
			Route{Method: "GET", Path: item, Auth: Admin, Action: ActRead},
			Route{Method: "PUT", Path: item, Auth: Admin, Action: k.EditAction()},
			Route{Method: "DELETE", Path: item, Auth: Admin, Action: k.EditAction()})
	}
	return append(rs,
		Route{Method: "GET", Path: DefinitionsPath, Auth: Admin, Action: ActRead},
		Route{Method: "GET", Path: DefinitionsPath + "/{kind}", Auth: Admin, Action: ActRead},
		Route{Method: "GET", Path: DefinitionPath, Auth: Admin, Action: ActRead},
		// A kind whose Edit is stricter (sending) is checked again by the
		// admin handler once {kind} is known.
		Route{Method: "PUT", Path: DefinitionPath, Auth: Admin, Action: ActWrite},
		Route{Method: "DELETE", Path: DefinitionPath, Auth: Admin, Action: ActWrite},
		// Validate saves nothing: anyone who may read may check a draft.
		Route{Method: "POST", Path: DefinitionPath + "/validate", Auth: Admin, Action: ActRead},
		Route{Method: "GET", Path: DefinitionPath + "/versions", Auth: Admin, Action: ActRead},
		Route{Method: "GET", Path: DefinitionPath + "/versions/{n}", Auth: Admin, Action: ActRead},
	)
}

// CampaignRoutes are the campaign actions beyond the definition routes
// (/v1/campaigns and /v1/campaigns/{id} come from the registry), and the
// calendar.
func CampaignRoutes() []Route {
	item := "/v1/campaigns/{id}"
	return []Route{
		{Method: "POST", Path: item + "/schedule", Auth: Admin, Action: ActWrite},
		{Method: "POST", Path: item + "/approve", Auth: Admin, Action: ActApprove},
		{Method: "POST", Path: item + "/pause", Auth: Admin, Action: ActWrite},
		{Method: "POST", Path: item + "/resume", Auth: Admin, Action: ActWrite},
		{Method: "POST", Path: item + "/cancel", Auth: Admin, Action: ActWrite},
		{Method: "POST", Path: item + "/winner", Auth: Admin, Action: ActWrite},
		{Method: "GET", Path: item + "/results", Auth: Admin, Action: ActRead},
		{Method: "GET", Path: "/v1/calendar", Auth: Admin, Action: ActRead},
	}
}
