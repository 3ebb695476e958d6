package adminfn

// formRoutes serves the form definitions (GET/PUT/DELETE /v1/forms...).
// Filled in with the forms capability.
func (h *Handler) formRoutes() map[string]routeFunc { return nil }
