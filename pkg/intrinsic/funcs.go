package intrinsic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"github.com/expressd/expressd/pkg/internal/uuid"
	"hash"
	"hash/maphash"
	"math"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/value"
)

// Func identifies an intrinsic function. Names are resolved to a Func at parse
// time, so evaluation dispatches by array index.
type Func uint8

// The intrinsic functions of ASL, in the order of the AWS documentation.
const (
	Format Func = iota
	StringToJson
	JsonToString
	Array
	ArrayPartition
	ArrayContains
	ArrayRange
	ArrayGetItem
	ArrayLength
	ArrayUnique
	Base64Encode
	Base64Decode
	Hash
	JsonMerge
	MathRandom
	MathAdd
	StringSplit
	UUID
	numFuncs
)

// funcNames is kept apart from funcs: the functions in funcs name themselves
// in their errors, and reading funcs from them would be an initialization cycle.
var funcNames = [numFuncs]string{
	Format:         "States.Format",
	StringToJson:   "States.StringToJson",
	JsonToString:   "States.JsonToString",
	Array:          "States.Array",
	ArrayPartition: "States.ArrayPartition",
	ArrayContains:  "States.ArrayContains",
	ArrayRange:     "States.ArrayRange",
	ArrayGetItem:   "States.ArrayGetItem",
	ArrayLength:    "States.ArrayLength",
	ArrayUnique:    "States.ArrayUnique",
	Base64Encode:   "States.Base64Encode",
	Base64Decode:   "States.Base64Decode",
	Hash:           "States.Hash",
	JsonMerge:      "States.JsonMerge",
	MathRandom:     "States.MathRandom",
	MathAdd:        "States.MathAdd",
	StringSplit:    "States.StringSplit",
	UUID:           "States.UUID",
}

// String returns the ASL name of f, such as "States.Format".
func (f Func) String() string {
	if f < numFuncs {
		return funcNames[f]
	}
	return "Func(" + strconv.Itoa(int(f)) + ")"
}

func lookup(name string) (Func, bool) {
	for i, n := range funcNames {
		if n == name {
			return Func(i), true
		}
	}
	return 0, false
}

// funcSpec describes one function: its argument count and implementation.
// eval receives the evaluated arguments, whose count Parse has checked.
type funcSpec struct {
	minArgs, maxArgs int // maxArgs < 0: no upper bound
	eval             func(c *Call, args []value.Value) (value.Value, error)
}

// funcs is the function table, indexed by Func.
var funcs = [numFuncs]funcSpec{
	Format:         {1, -1, evalFormat},
	StringToJson:   {1, 1, evalStringToJson},
	JsonToString:   {1, 1, evalJsonToString},
	Array:          {0, -1, evalArray},
	ArrayPartition: {2, 2, evalArrayPartition},
	ArrayContains:  {2, 2, evalArrayContains},
	ArrayRange:     {3, 3, evalArrayRange},
	ArrayGetItem:   {2, 2, evalArrayGetItem},
	ArrayLength:    {1, 1, evalArrayLength},
	ArrayUnique:    {1, 1, evalArrayUnique},
	Base64Encode:   {1, 1, evalBase64Encode},
	Base64Decode:   {1, 1, evalBase64Decode},
	Hash:           {2, 2, evalHash},
	JsonMerge:      {3, 3, evalJsonMerge},
	MathRandom:     {2, 3, evalMathRandom},
	MathAdd:        {2, 2, evalMathAdd},
	StringSplit:    {2, 2, evalStringSplit},
	UUID:           {0, 0, evalUUID},
}

// MaxRangeItems is the largest array States.ArrayRange may build, as
// documented by AWS ("The array can contain at most 1000 items").
const MaxRangeItems = 1000

// MaxEncodeInput is the longest string, in UTF-16 code units as Java counts
// them, accepted by States.Base64Encode, States.Base64Decode and States.Hash.
// AWS documents "input … must be 10,000 characters or less" for all three.
const MaxEncodeInput = 10000

// kindDetail describes an argument of the wrong JSON type for a runtime cause.
func kindDetail(what string, v value.Value) string {
	return what + ", got " + v.Kind().String()
}

// javaInt converts a number the way Java's (int) cast does: truncation toward
// zero, saturating at the int32 bounds, NaN → 0 (ArrayGetItem's index, the
// MathRandom seed).
func javaInt(f float64) int64 {
	switch {
	case f != f:
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int64(f)
}

// roundInt rounds a number to the nearest integer, halves up (Java's
// Math.round), saturating at the int32 bounds, NaN → 0: the AWS guide says
// of the integer arguments of ArrayRange, ArrayPartition and MathRandom
// that Step Functions "will round it off to the nearest integer" (as
// MathAdd does; issue 11: they were truncated).
func roundInt(f float64) int64 {
	if f != f {
		return 0
	}
	return javaInt(javaRound(f))
}

// javaRound is Java's Math.round: floor(x+0.5), computed without the rounding
// error of adding 0.5 to values just below one half.
func javaRound(f float64) float64 {
	r := math.Floor(f)
	if f-r >= 0.5 {
		r++
	}
	return r
}

// utf16Len returns the length of s in UTF-16 code units (Java's String.length).
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

func evalFormat(c *Call, args []value.Value) (value.Value, error) {
	t := c.tmpl
	if t == nil {
		if args[0].Kind() != value.String {
			return value.Value{}, invalidArgs(Format, kindDetail("the template must be a string", args[0]))
		}
		t = compileTemplate(args[0].Str())
	}
	if t.err != "" {
		return value.Value{}, &Error{Name: ErrorRuntime, Cause: t.err}
	}
	if n := len(args) - 1; n != len(t.segs)-1 {
		return value.Value{}, invalidArgs(Format, "the template has "+strconv.Itoa(len(t.segs)-1)+
			" placeholders but "+strconv.Itoa(n)+" arguments follow it")
	}
	var buf [128]byte
	out := append(buf[:0], t.segs[0]...)
	for i, v := range args[1:] {
		out = appendFormat(out, v)
		out = append(out, t.segs[i+1]...)
	}
	return value.FromString(string(out)), nil
}

func evalStringToJson(_ *Call, args []value.Value) (value.Value, error) {
	if args[0].Kind() != value.String {
		return value.Value{}, invalidArgs(StringToJson, kindDetail("expected a string", args[0]))
	}
	s := strings.TrimSpace(args[0].Str())
	if s == "" {
		return value.NullValue, nil
	}
	v, err := value.ParseString(s)
	if err != nil {
		return value.Value{}, invalidArgs(StringToJson, "the string is not valid JSON: "+err.Error())
	}
	return normalizeNumbers(v), nil
}

// normalizeNumbers rewrites the number texts Jackson would not reproduce:
// "-0" parses to the integer 0 (recorded: StringToJson("-0") is 0).
func normalizeNumbers(v value.Value) value.Value {
	switch v.Kind() {
	case value.Number:
		if t := v.NumberText(); t == "-0" {
			return value.FromInt(0)
		}
	case value.Array:
		items := v.Items()
		for i, x := range items {
			if y := normalizeNumbers(x); !sameNumberText(x, y) {
				v = v.SetIndex(i, y)
			}
		}
	case value.Object:
		for i, x := range v.Items() {
			if y := normalizeNumbers(x); !sameNumberText(x, y) {
				v = v.With(v.Key(i), y)
			}
		}
	}
	return v
}

// sameNumberText reports whether normalizeNumbers left x unchanged. Only
// numbers and containers holding them can change; containers are compared by
// their encoding, which is cheap relative to parsing them.
func sameNumberText(x, y value.Value) bool {
	switch x.Kind() {
	case value.Number:
		return x.NumberText() == y.NumberText()
	case value.Array, value.Object:
		return x.JSON() == y.JSON()
	}
	return true
}

func evalJsonToString(_ *Call, args []value.Value) (value.Value, error) {
	return value.FromString(string(value.AppendJSON(nil, args[0]))), nil
}

func evalArray(_ *Call, args []value.Value) (value.Value, error) {
	items := make([]value.Value, len(args))
	copy(items, args)
	return value.FromArray(items), nil
}

func evalArrayPartition(_ *Call, args []value.Value) (value.Value, error) {
	arr, n := args[0], args[1]
	if arr.Kind() != value.Array {
		return value.Value{}, invalidArgs(ArrayPartition, kindDetail("the first argument must be an array", arr))
	}
	if n.Kind() != value.Number {
		return value.Value{}, invalidArgs(ArrayPartition, kindDetail("the chunk size must be a number", n))
	}
	size := roundInt(n.Float())
	if size < 1 {
		return value.Value{}, invalidArgs(ArrayPartition, "the chunk size must be a positive integer, got "+n.JSON())
	}
	items := arr.Items()
	chunks := make([]value.Value, 0, (int64(len(items))+size-1)/size)
	for i := 0; i < len(items); i += int(size) {
		end := min(len(items), i+int(size))
		chunk := make([]value.Value, end-i)
		copy(chunk, items[i:end])
		chunks = append(chunks, value.FromArray(chunk))
	}
	return value.FromArray(chunks), nil
}

func evalArrayContains(_ *Call, args []value.Value) (value.Value, error) {
	if args[0].Kind() != value.Array {
		return value.Value{}, invalidArgs(ArrayContains, kindDetail("the first argument must be an array", args[0]))
	}
	for _, x := range args[0].Items() {
		if value.Equal(x, args[1]) {
			return value.True, nil
		}
	}
	return value.False, nil
}

func evalArrayRange(_ *Call, args []value.Value) (value.Value, error) {
	for _, a := range args {
		if a.Kind() != value.Number {
			return value.Value{}, invalidArgs(ArrayRange, kindDetail("start, end and step must be numbers", a))
		}
	}
	start, end, step := roundInt(args[0].Float()), roundInt(args[1].Float()), roundInt(args[2].Float())
	if step == 0 {
		return value.Value{}, invalidArgs(ArrayRange, "the step must not be 0")
	}
	var n int64
	switch {
	case step > 0 && start <= end:
		n = (end-start)/step + 1
	case step < 0 && start >= end:
		n = (start-end)/(-step) + 1
	}
	if n > MaxRangeItems {
		return value.Value{}, invalidArgs(ArrayRange, "the range has "+strconv.FormatInt(n, 10)+
			" items, more than the limit of "+strconv.Itoa(MaxRangeItems))
	}
	items := make([]value.Value, n)
	for i := range items {
		items[i] = value.FromInt(start + int64(i)*step)
	}
	return value.FromArray(items), nil
}

func evalArrayGetItem(_ *Call, args []value.Value) (value.Value, error) {
	arr, idx := args[0], args[1]
	if arr.Kind() != value.Array {
		return value.Value{}, invalidArgs(ArrayGetItem, kindDetail("the first argument must be an array", arr))
	}
	if idx.Kind() != value.Number {
		return value.Value{}, invalidArgs(ArrayGetItem, kindDetail("the index must be a number", idx))
	}
	i := javaInt(idx.Float())
	if i < 0 || i >= int64(arr.Len()) {
		return value.Value{}, invalidArgs(ArrayGetItem, "index "+strconv.FormatInt(i, 10)+
			" is out of range for an array of length "+strconv.Itoa(arr.Len()))
	}
	return arr.Index(int(i)), nil
}

func evalArrayLength(_ *Call, args []value.Value) (value.Value, error) {
	if args[0].Kind() != value.Array {
		return value.Value{}, invalidArgs(ArrayLength, kindDetail("expected an array", args[0]))
	}
	return value.FromInt(int64(args[0].Len())), nil
}

func evalArrayUnique(_ *Call, args []value.Value) (value.Value, error) {
	if args[0].Kind() != value.Array {
		return value.Value{}, invalidArgs(ArrayUnique, kindDetail("expected an array", args[0]))
	}
	items := args[0].Items()
	out := make([]value.Value, 0, len(items))
	if len(items) <= 8 {
		// Small arrays: a quadratic scan is cheaper than hashing.
	outer:
		for _, x := range items {
			for _, y := range out {
				if value.Equal(x, y) {
					continue outer
				}
			}
			out = append(out, x)
		}
		return value.FromArray(out), nil
	}
	seed := maphash.MakeSeed()
	seen := make(map[uint64][]int, len(items)) // hash → indexes into out
next:
	for _, x := range items {
		h := hashValue(seed, x)
		for _, j := range seen[h] {
			if value.Equal(x, out[j]) {
				continue next
			}
		}
		seen[h] = append(seen[h], len(out))
		out = append(out, x)
	}
	return value.FromArray(out), nil
}

// hashValue hashes v consistently with value.Equal: numbers by value, object
// members independent of order.
func hashValue(seed maphash.Seed, v value.Value) uint64 {
	switch v.Kind() {
	case value.Bool:
		if v.Bool() {
			return 2
		}
		return 3
	case value.Number:
		f := v.Float()
		if f == 0 {
			f = 0 // -0 == 0
		}
		return mix(math.Float64bits(f) ^ 0x9e3779b97f4a7c15)
	case value.String:
		return maphash.String(seed, v.Str())
	case value.Array:
		h := uint64(5)
		for _, x := range v.Items() {
			h = mix(h*31 + hashValue(seed, x))
		}
		return h
	case value.Object:
		h := uint64(7)
		for i, x := range v.Items() {
			h += mix(maphash.String(seed, v.Key(i)) ^ hashValue(seed, x))
		}
		return h
	}
	return 1
}

// mix is the splitmix64 finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func checkEncodeInput(f Func, v value.Value) (string, *Error) {
	if v.Kind() != value.String {
		return "", invalidArgs(f, kindDetail("expected a string", v))
	}
	s := v.Str()
	if len(s) > MaxEncodeInput && utf16Len(s) > MaxEncodeInput {
		return "", invalidArgs(f, "the input has "+strconv.Itoa(utf16Len(s))+
			" characters, more than the limit of "+strconv.Itoa(MaxEncodeInput))
	}
	return s, nil
}

func evalBase64Encode(_ *Call, args []value.Value) (value.Value, error) {
	s, err := checkEncodeInput(Base64Encode, args[0])
	if err != nil {
		return value.Value{}, err
	}
	return value.FromString(base64.StdEncoding.EncodeToString([]byte(s))), nil
}

// evalBase64Decode decodes leniently, like Java's MIME decoder that AWS uses:
// characters outside the base64 alphabet (white space, line breaks, stray
// symbols) are skipped, padding is optional, and a final lone sextet is
// dropped. Invalid UTF-8 in the result becomes U+FFFD, as in Java's
// new String(bytes, UTF_8).
func evalBase64Decode(_ *Call, args []value.Value) (value.Value, error) {
	s, err := checkEncodeInput(Base64Decode, args[0])
	if err != nil {
		return value.Value{}, err
	}
	clean := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' {
			clean = append(clean, c)
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, derr := base64.RawStdEncoding.Decode(out, clean)
	if derr != nil {
		return value.Value{}, invalidArgs(Base64Decode, "the input is not valid base64")
	}
	res := string(out[:n])
	if !utf8.ValidString(res) {
		res = strings.ToValidUTF8(res, "\uFFFD")
	}
	return value.FromString(res), nil
}

var hashAlgorithms = [...]struct {
	name string
	new  func() hash.Hash
}{
	{"MD5", md5.New},
	{"SHA-1", sha1.New},
	{"SHA-256", sha256.New},
	{"SHA-384", sha512.New384},
	{"SHA-512", sha512.New},
}

// evalHash hashes the UTF-8 bytes of the data. AWS accepts non-string data
// and hashes its text; we hash the compact JSON of such values.
func evalHash(_ *Call, args []value.Value) (value.Value, error) {
	alg := args[1]
	if alg.Kind() != value.String {
		return value.Value{}, invalidArgs(Hash, kindDetail("the algorithm must be a string", alg))
	}
	var newHash func() hash.Hash
	for _, a := range hashAlgorithms {
		if a.name == alg.Str() {
			newHash = a.new
		}
	}
	if newHash == nil {
		return value.Value{}, invalidArgs(Hash, "unknown algorithm "+strconv.Quote(alg.Str())+
			"; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512")
	}
	data := args[0]
	if data.Kind() != value.String {
		data = value.FromString(data.JSON())
	}
	s, err := checkEncodeInput(Hash, data)
	if err != nil {
		return value.Value{}, err
	}
	h := newHash()
	h.Write([]byte(s))
	var sum [64]byte
	return value.FromString(hex.EncodeToString(h.Sum(sum[:0]))), nil
}

func evalJsonMerge(_ *Call, args []value.Value) (value.Value, error) {
	a, b, deep := args[0], args[1], args[2]
	if a.Kind() != value.Object || b.Kind() != value.Object {
		bad := a
		if a.Kind() == value.Object {
			bad = b
		}
		return value.Value{}, invalidArgs(JsonMerge, kindDetail("both inputs must be objects", bad))
	}
	if deep.Kind() != value.Bool {
		return value.Value{}, invalidArgs(JsonMerge, kindDetail("isDeep must be a boolean", deep))
	}
	if deep.Bool() {
		return value.Value{}, invalidArgs(JsonMerge, "deep merging is not supported; isDeep must be false")
	}
	keys := make([]string, 0, a.Len()+b.Len())
	vals := make([]value.Value, 0, a.Len()+b.Len())
	for i, k := range a.Keys() {
		v := a.Index(i)
		if w, ok := b.Get(k); ok {
			v = w
		}
		keys = append(keys, k)
		vals = append(vals, v)
	}
	for i, k := range b.Keys() {
		if _, ok := a.Get(k); !ok {
			keys = append(keys, k)
			vals = append(vals, b.Index(i))
		}
	}
	return value.FromObject(keys, vals), nil
}

func evalMathRandom(_ *Call, args []value.Value) (value.Value, error) {
	for _, a := range args {
		if a.Kind() != value.Number {
			return value.Value{}, invalidArgs(MathRandom, kindDetail("start, end and seed must be numbers", a))
		}
	}
	start, end := roundInt(args[0].Float()), roundInt(args[1].Float())
	if start >= end {
		return value.Value{}, invalidArgs(MathRandom, "start "+strconv.FormatInt(start, 10)+
			" must be less than end "+strconv.FormatInt(end, 10))
	}
	span := uint64(end - start)
	var r uint64
	if len(args) == 3 {
		// Same seed, same number; the sequence differs from Java's Random.
		seed := uint64(javaInt(args[2].Float()))
		r = mrand.New(mrand.NewPCG(seed, seed^0x5851f42d4c957f2d)).Uint64N(span)
	} else {
		r = mrand.Uint64N(span)
	}
	return value.FromInt(start + int64(r)), nil
}

func evalMathAdd(_ *Call, args []value.Value) (value.Value, error) {
	var sum int64
	for _, a := range args {
		if a.Kind() != value.Number {
			return value.Value{}, invalidArgs(MathAdd, kindDetail("expected numbers", a))
		}
		r := javaRound(a.Float())
		if r < math.MinInt32 || r > math.MaxInt32 || r != r {
			return value.Value{}, invalidArgs(MathAdd, "argument "+a.JSON()+" is outside the 32-bit integer range")
		}
		sum += int64(r)
	}
	return value.FromInt(sum), nil
}

// evalStringSplit follows Java's StringTokenizer: every character of the
// second argument is a delimiter, and empty tokens are dropped.
func evalStringSplit(_ *Call, args []value.Value) (value.Value, error) {
	for _, a := range args {
		if a.Kind() != value.String {
			return value.Value{}, invalidArgs(StringSplit, kindDetail("expected two strings", a))
		}
	}
	s, delims := args[0].Str(), args[1].Str()
	out := []value.Value{}
	start := -1
	for i, r := range s {
		if strings.ContainsRune(delims, r) {
			if start >= 0 {
				out = append(out, value.FromString(s[start:i]))
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, value.FromString(s[start:]))
	}
	return value.FromArray(out), nil
}

func evalUUID(_ *Call, _ []value.Value) (value.Value, error) {
	return value.FromString(uuid.New()), nil
}
