package runner

// SigningSecret is the secret the platform's functions sign and verify
// email links with (Options.SigningSecret, or the one generated when it was
// empty), so tests can make links the functions accept.
func (p *Platform) SigningSecret() string { return p.opts.SigningSecret }

// PublicBaseURL is where the platform's email links point.
func (p *Platform) PublicBaseURL() string { return p.opts.PublicBaseURL }
