package emulator

var snsActions = map[string]queryHandler{}

type topic struct{}

type subscription struct{}
