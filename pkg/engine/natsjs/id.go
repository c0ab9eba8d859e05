package natsjs

import "github.com/expressd/expressd/pkg/internal/uuid"

// newID returns a random UUID (version 4).
func newID() string { return uuid.New() }
