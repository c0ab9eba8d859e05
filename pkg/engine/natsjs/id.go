package natsjs

import (
	"strconv"

	"github.com/expressd/expressd/pkg/internal/uuid"
)

// newID returns a random UUID (version 4).
func newID() string { return uuid.New() }

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }
