package value

import (
	"math"
	"strconv"
	"sync/atomic"
	"unsafe"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The six JSON kinds. The zero Value is Null.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

var kindNames = [...]string{"null", "boolean", "number", "string", "array", "object"}

// String returns the JSON name of the kind ("null", "boolean", "number", …).
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one JSON value. Values are immutable once built: operations that
// "modify" a Value (With, SetIndex) return a new Value and share unchanged
// parts with the old one, so a Value may be shared freely between executions
// and goroutines. The zero Value is JSON null.
//
// A Value is 24 bytes: p points to the string's bytes (String), the source
// text of a number (Number, nil when computed) or the container (Array,
// Object); n holds a string's length, a number's float64 bits or a
// boolean's 0/1; tlen is the length of a number's source text.
type Value struct {
	p    unsafe.Pointer
	n    uint64
	kind Kind
	tlen uint32
}

// s returns the text of a String.
func (v Value) s() string { return unsafe.String((*byte)(v.p), int(v.n)) }

// f returns the value of a Number.
func (v Value) f() float64 { return math.Float64frombits(v.n) }

// text returns the source text of a Number, "" when computed.
func (v Value) text() string {
	if v.p == nil {
		return ""
	}
	return unsafe.String((*byte)(v.p), int(v.tlen))
}

// cont returns the container of an Array or Object, nil otherwise.
func (v Value) cont() *container {
	if v.kind < Array {
		return nil
	}
	return (*container)(v.p)
}

// container holds the elements of an array or the members of an object.
// Objects keep insertion order (States.Format renders them in that order).
type container struct {
	items []Value
	keys  []string                       // object member names, parallel to items; nil for arrays
	index atomic.Pointer[map[string]int] // built lazily for large objects
}

// indexThreshold is the object size from which member lookup builds a map
// instead of scanning the keys: ASL payloads are mostly small objects, where a
// linear scan beats hashing.
const indexThreshold = 16

// NullValue is JSON null.
var NullValue = Value{}

// True and False are the JSON booleans.
var (
	True  = Value{kind: Bool, n: 1}
	False = Value{kind: Bool}
)

// FromBool returns the JSON boolean b.
func FromBool(b bool) Value {
	if b {
		return True
	}
	return False
}

// FromFloat returns the JSON number f. NaN and infinities have no JSON form;
// they are encoded as null.
func FromFloat(f float64) Value { return Value{kind: Number, n: math.Float64bits(f)} }

// FromInt returns the JSON number i.
func FromInt(i int64) Value { return FromFloat(float64(i)) }

// NumberText returns a number that keeps its source text: encoding writes
// text unchanged, so "1.0" or "12345678901234567890" round-trip exactly.
// The caller guarantees that text is a valid JSON number equal to f.
func NumberText(text string, f float64) Value {
	if text == "" || len(text) > math.MaxUint32 {
		return FromFloat(f)
	}
	return Value{kind: Number, n: math.Float64bits(f), p: unsafe.Pointer(unsafe.StringData(text)), tlen: uint32(len(text))}
}

// FromString returns the JSON string s.
func FromString(s string) Value {
	return Value{kind: String, p: unsafe.Pointer(unsafe.StringData(s)), n: uint64(len(s))}
}

// FromArray returns an array holding items. The array takes ownership of the
// slice: the caller must not modify it afterwards.
func FromArray(items []Value) Value {
	return Value{kind: Array, p: unsafe.Pointer(&container{items: items})}
}

// FromObject returns an object with the given member names and values, in
// order. It takes ownership of both slices, which must have the same length
// and hold no duplicate names.
func FromObject(keys []string, vals []Value) Value {
	if len(keys) != len(vals) {
		panic("value: FromObject with mismatched keys and values")
	}
	if keys == nil {
		keys = []string{}
	}
	return Value{kind: Object, p: unsafe.Pointer(&container{items: vals, keys: keys})}
}

// EmptyObject returns {}.
func EmptyObject() Value { return FromObject([]string{}, nil) }

// Kind returns the JSON type of v.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is JSON null.
func (v Value) IsNull() bool { return v.kind == Null }

// Bool returns the boolean value of v, false unless v is true.
func (v Value) Bool() bool { return v.kind == Bool && v.n != 0 }

// Float returns the number value of v, 0 unless v is a number.
func (v Value) Float() float64 {
	if v.kind != Number {
		return 0
	}
	return v.f()
}

// Int returns v as an int64 and whether v is a number with an integral value
// that fits an int64.
func (v Value) Int() (int64, bool) {
	f := v.f()
	if v.kind != Number || f != math.Trunc(f) || math.Abs(f) > 1<<63-1024 {
		return 0, false
	}
	return int64(f), true
}

// IsInteger reports whether v is a number whose text has no fraction or
// exponent, or a computed number with an integral value. "1.0" is not an
// integer for AWS (Java parses it as a double).
func (v Value) IsInteger() bool {
	if v.kind != Number {
		return false
	}
	if t := v.text(); t != "" {
		for i := 0; i < len(t); i++ {
			switch t[i] {
			case '.', 'e', 'E':
				return false
			}
		}
		return true
	}
	f := v.f()
	return f == math.Trunc(f) && !math.IsInf(f, 0)
}

// NumberText returns the source text of a number, "" for computed numbers.
func (v Value) NumberText() string {
	if v.kind != Number {
		return ""
	}
	return v.text()
}

// Str returns the text of a string value, "" otherwise.
func (v Value) Str() string {
	if v.kind != String {
		return ""
	}
	return v.s()
}

// Len returns the number of elements of an array or members of an object, 0 otherwise.
func (v Value) Len() int {
	if v.cont() == nil {
		return 0
	}
	return len(v.cont().items)
}

// Index returns element i of an array or the value of member i of an object.
// It panics when i is out of range.
func (v Value) Index(i int) Value { return v.cont().items[i] }

// Key returns the name of member i of an object. It panics when i is out of range.
func (v Value) Key(i int) string { return v.cont().keys[i] }

// Items returns the elements of an array or the member values of an object.
// The slice is shared: callers must not modify it.
func (v Value) Items() []Value {
	if v.cont() == nil {
		return nil
	}
	return v.cont().items
}

// Keys returns the member names of an object in order. The slice is shared:
// callers must not modify it.
func (v Value) Keys() []string {
	if v.cont() == nil {
		return nil
	}
	return v.cont().keys
}

// Get returns the value of member key of an object and whether it exists.
func (v Value) Get(key string) (Value, bool) {
	if v.kind != Object {
		return Value{}, false
	}
	i := v.cont().find(key)
	if i < 0 {
		return Value{}, false
	}
	return v.cont().items[i], true
}

func (c *container) find(key string) int {
	if len(c.keys) < indexThreshold {
		for i, k := range c.keys {
			if k == key {
				return i
			}
		}
		return -1
	}
	idx := c.index.Load()
	if idx == nil {
		// Containers are immutable, so the map never goes stale. Concurrent
		// first lookups may both build it; either result is correct.
		m := make(map[string]int, len(c.keys))
		for i, k := range c.keys {
			if _, dup := m[k]; !dup {
				m[k] = i
			}
		}
		c.index.Store(&m)
		idx = &m
	}
	if i, ok := (*idx)[key]; ok {
		return i
	}
	return -1
}

// With returns a copy of object v with member key set to x (appended when
// absent). v itself is unchanged. When v is not an object, the result is an
// object with the single member.
func (v Value) With(key string, x Value) Value {
	if v.kind != Object {
		nv, keys, vals := MakeObject(1)
		keys[0], vals[0] = key, x
		return nv
	}
	i := v.cont().find(key)
	n := len(v.cont().keys)
	if i >= 0 {
		nv, keys, vals := MakeObject(n)
		copy(keys, v.cont().keys)
		copy(vals, v.cont().items)
		vals[i] = x
		return nv
	}
	nv, keys, vals := MakeObject(n + 1)
	copy(keys, v.cont().keys)
	copy(vals, v.cont().items)
	keys[n], vals[n] = key, x
	return nv
}

// SetIndex returns a copy of array v with element i replaced by x. It panics
// when v is not an array or i is out of range.
func (v Value) SetIndex(i int, x Value) Value {
	nv, vals := MakeArray(len(v.cont().items))
	copy(vals, v.cont().items)
	vals[i] = x
	return nv
}

// Small objects and arrays are allocated together with their container in
// one allocation: most ASL payload objects have a handful of members, and
// every ResultPath copies an object, so this halves allocations on the hot
// path. Larger ones fall back to separate slices.
type (
	obj4 struct {
		c container
		k [4]string
		v [4]Value
	}
	obj8 struct {
		c container
		k [8]string
		v [8]Value
	}
	obj16 struct {
		c container
		k [16]string
		v [16]Value
	}
	arr4 struct {
		c container
		v [4]Value
	}
	arr8 struct {
		c container
		v [8]Value
	}
)

// MakeObject returns a new object of n members and its member name and
// value slices, which the caller fills in (with distinct names) before the
// object is used or shared.
func MakeObject(n int) (Value, []string, []Value) {
	var c *container
	switch {
	case n <= 4:
		o := &obj4{}
		o.c.keys, o.c.items = o.k[:n], o.v[:n]
		c = &o.c
	case n <= 8:
		o := &obj8{}
		o.c.keys, o.c.items = o.k[:n], o.v[:n]
		c = &o.c
	case n <= 16:
		o := &obj16{}
		o.c.keys, o.c.items = o.k[:n], o.v[:n]
		c = &o.c
	default:
		c = &container{keys: make([]string, n), items: make([]Value, n)}
	}
	return Value{kind: Object, p: unsafe.Pointer(c)}, c.keys, c.items
}

// SetOwned sets member key of object v in place, appending it when absent
// and v's storage has room, and reports whether it could. It exists for the
// VM's fast path and breaks immutability: only the unique owner of v's
// storage may call it — an object it built itself with MakeObject (or
// With) and never shared — since every other holder of v would see the
// change.
func (v Value) SetOwned(key string, x Value) bool {
	if v.kind != Object {
		return false
	}
	c := v.cont()
	if i := c.find(key); i >= 0 {
		c.items[i] = x
		return true
	}
	n := len(c.keys)
	if n >= cap(c.keys) || n >= cap(c.items) || n+1 >= indexThreshold {
		return false
	}
	c.keys = append(c.keys, key)
	c.items = append(c.items, x)
	return true
}

// Same reports whether a and b share their storage (the same array or
// object, not merely equal ones). Scalars never share storage.
func Same(a, b Value) bool { return a.kind >= Array && a.p == b.p }

// MakeArray returns a new array of n elements and its element slice, which
// the caller fills in before the array is used or shared.
func MakeArray(n int) (Value, []Value) {
	var c *container
	switch {
	case n <= 4:
		a := &arr4{}
		a.c.items = a.v[:n:n]
		c = &a.c
	case n <= 8:
		a := &arr8{}
		a.c.items = a.v[:n:n]
		c = &a.c
	default:
		c = &container{items: make([]Value, n)}
	}
	return Value{kind: Array, p: unsafe.Pointer(c)}, c.items
}

// Equal reports whether a and b are the same JSON value: numbers compare by
// value (1 == 1.0), objects ignore member order, arrays compare in order.
func Equal(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case Null:
		return true
	case Bool:
		return a.n == b.n
	case Number:
		return a.f() == b.f()
	case String:
		return a.s() == b.s()
	case Array:
		if a.cont() == b.cont() {
			return true
		}
		if len(a.cont().items) != len(b.cont().items) {
			return false
		}
		for i := range a.cont().items {
			if !Equal(a.cont().items[i], b.cont().items[i]) {
				return false
			}
		}
		return true
	case Object:
		if a.cont() == b.cont() {
			return true
		}
		if len(a.cont().items) != len(b.cont().items) {
			return false
		}
		for i, k := range a.cont().keys {
			j := b.cont().find(k)
			if j < 0 || !Equal(a.cont().items[i], b.cont().items[j]) {
				return false
			}
		}
		return true
	}
	return false
}
