package adminfn

// interestRoutes serves the interest rules (GET/PUT /v1/interests).
func (h *Handler) interestRoutes() map[string]routeFunc { return nil }
