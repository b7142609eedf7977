package emulator

// STS: GetCallerIdentity only. Some clients (tomodachi among them) call it
// to learn the account before publishing.

var stsActions = map[string]queryHandler{
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

func (s *Server) getCallerIdentity(p params, x *xmlWriter) error {
	x.elem("Arn", "arn:aws:iam::"+s.opts.AccountID+":root")
	x.elem("UserId", s.opts.AccountID)
	x.elem("Account", s.opts.AccountID)
	return nil
}
