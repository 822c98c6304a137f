package server

// registerOpenAI adds the OpenAI-compatible routes.
func (s *Server) registerOpenAI() {}
