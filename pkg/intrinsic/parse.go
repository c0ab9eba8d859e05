package intrinsic

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/value"
)

// MaxDepth is the deepest nesting of calls Parse accepts, the outermost call
// counting as 1. AWS documents that up to 10 intrinsic functions may be nested
// within one field; the limit also bounds the recursion of Parse and Eval, so
// hostile definitions cannot exhaust the stack.
const MaxDepth = 10

// MaxLen is the longest call text Parse accepts, in bytes. A call sits in one
// field of a definition, and AWS caps whole definitions at 1 MiB; anything
// longer cannot come from a valid definition, and the bound keeps the number
// of arguments and paths of one call bounded.
const MaxLen = 1 << 20

const callPrefix = "States."

// IsCall reports whether s looks like an intrinsic call ("States.Name(" …), so
// that the value of a "key.$" field must be parsed with [Parse] rather than as
// a path. It does not check the rest of the call.
func IsCall(s string) bool {
	if !strings.HasPrefix(s, callPrefix) {
		return false
	}
	i := len(callPrefix)
	for i < len(s) && isIdent(s[i]) {
		i++
	}
	return i > len(callPrefix) && i < len(s) && s[i] == '('
}

func isIdent(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Parse parses one intrinsic call such as "States.Format('{} items', $.n)".
// White space is allowed around arguments and after the closing parenthesis.
// Unknown functions, bad literals, illegal escapes, wrong argument counts and
// nesting deeper than [MaxDepth] are reported as *[SyntaxError].
func Parse(s string) (*Call, error) {
	p := parser{src: s}
	if len(s) > MaxLen {
		return nil, p.errf(0, "call is longer than "+strconv.Itoa(MaxLen)+" bytes")
	}
	// Calls come from JSON definitions, which are valid UTF-8.
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return nil, p.errf(i, "invalid UTF-8")
		}
		i += n
	}
	c, err := p.call(1)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(s) {
		return nil, p.errf(p.pos, "unexpected "+quoteAt(s, p.pos)+" after the closing ')'")
	}
	setPaths(c, p.paths)
	return c, nil
}

func setPaths(c *Call, paths []string) {
	c.paths = paths
	for i := range c.Args {
		if c.Args[i].Kind == ArgCall {
			setPaths(c.Args[i].Call, paths)
		}
	}
}

type parser struct {
	src   string
	pos   int
	paths []string
}

func (p *parser) errf(off int, msg string) error {
	return &SyntaxError{Input: p.src, Offset: off, Msg: msg}
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// quoteAt describes the character at offset i for error messages.
func quoteAt(s string, i int) string {
	if i >= len(s) {
		return "end of input"
	}
	r := []rune(s[i:min(len(s), i+4)])
	return strconv.QuoteRune(r[0])
}

// call parses "States.Name(args)" at p.pos.
func (p *parser) call(depth int) (*Call, error) {
	start := p.pos
	if depth > MaxDepth {
		return nil, p.errf(start, "intrinsic functions nested deeper than "+strconv.Itoa(MaxDepth)+" levels")
	}
	if !strings.HasPrefix(p.src[p.pos:], callPrefix) {
		return nil, p.errf(start, "expected an intrinsic function name starting with \"States.\"")
	}
	i := p.pos + len(callPrefix)
	for i < len(p.src) && isIdent(p.src[i]) {
		i++
	}
	name := p.src[p.pos:i]
	f, ok := lookup(name)
	if !ok {
		return nil, p.errf(start, "unknown intrinsic function "+strconv.Quote(name))
	}
	p.pos = i
	if p.pos >= len(p.src) || p.src[p.pos] != '(' {
		return nil, p.errf(p.pos, "expected '(' after "+name+", found "+quoteAt(p.src, p.pos))
	}
	p.pos++
	c := &Call{Func: f}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			p.skipSpace()
			a, err := p.arg(depth)
			if err != nil {
				return nil, err
			}
			c.Args = append(c.Args, a)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errf(p.pos, "missing ')' to close "+name+"(")
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, p.errf(p.pos, "expected ',' or ')' after an argument of "+name+", found "+quoteAt(p.src, p.pos))
			}
			p.pos++
		}
	}
	spec := &funcs[f]
	if n := len(c.Args); n < spec.minArgs || spec.maxArgs >= 0 && n > spec.maxArgs {
		return nil, p.errf(start, arityMessage(f, n))
	}
	if f == Format && c.Args[0].Kind == ArgLiteral && c.Args[0].Lit.Kind() == value.String {
		c.tmpl = compileTemplate(c.Args[0].raw)
	}
	return c, nil
}

func arityMessage(f Func, n int) string {
	spec := &funcs[f]
	var want string
	switch {
	case spec.maxArgs < 0:
		want = "at least " + strconv.Itoa(spec.minArgs)
	case spec.minArgs == spec.maxArgs:
		want = strconv.Itoa(spec.minArgs)
	default:
		want = strconv.Itoa(spec.minArgs) + " to " + strconv.Itoa(spec.maxArgs)
	}
	plural := "s"
	if last := spec.maxArgs; last == 1 || last < 0 && spec.minArgs == 1 {
		plural = ""
	}
	return f.String() + " takes " + want + " argument" + plural + ", got " + strconv.Itoa(n)
}

// arg parses one argument at p.pos.
func (p *parser) arg(depth int) (Arg, error) {
	if p.pos >= len(p.src) {
		return Arg{}, p.errf(p.pos, "missing argument before end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '\'':
		return p.str()
	case c == '$':
		return p.path()
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == ',' || c == ')':
		return Arg{}, p.errf(p.pos, "missing argument before "+quoteAt(p.src, p.pos))
	}
	if strings.HasPrefix(p.src[p.pos:], callPrefix) {
		c, err := p.call(depth + 1)
		if err != nil {
			return Arg{}, err
		}
		return Arg{Kind: ArgCall, Call: c}, nil
	}
	start := p.pos
	for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
		p.pos++
	}
	switch p.src[start:p.pos] {
	case "true":
		return Arg{Kind: ArgLiteral, Lit: value.True}, nil
	case "false":
		return Arg{Kind: ArgLiteral, Lit: value.False}, nil
	case "null":
		return Arg{Kind: ArgLiteral, Lit: value.NullValue}, nil
	}
	p.pos = start
	return Arg{}, p.errf(start, "unexpected "+quoteAt(p.src, start)+": an argument is a 'string', a number, true, false, null, a path starting with '$' or a States.* call")
}

// str parses a single-quoted string literal. Only \' \{ \} and \\ are legal
// escapes: AWS rejects every other backslash at create time.
func (p *parser) str() (Arg, error) {
	start := p.pos
	p.pos++
	var sb []byte
	plain := true
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch c {
		case '\'':
			raw := p.src[start+1 : p.pos]
			p.pos++
			s := raw
			if !plain {
				s = string(sb)
			}
			return Arg{Kind: ArgLiteral, Lit: value.FromString(s), raw: raw}, nil
		case '\\':
			if p.pos+1 >= len(p.src) {
				return Arg{}, p.errf(p.pos, "dangling '\\' in string literal")
			}
			switch e := p.src[p.pos+1]; e {
			case '\'', '{', '}', '\\':
				if plain {
					sb = append(sb, p.src[start+1:p.pos]...)
					plain = false
				}
				sb = append(sb, e)
				p.pos += 2
				continue
			default:
				return Arg{}, p.errf(p.pos, "illegal escape \\"+quoteAt(p.src, p.pos+1)+" in string literal: only \\', \\{, \\} and \\\\ are allowed")
			}
		}
		if !plain {
			sb = append(sb, c)
		}
		p.pos++
	}
	return Arg{}, p.errf(start, "unterminated string literal")
}

// number parses an integer or decimal literal, optionally negative and with
// an exponent (JSON number syntax).
func (p *parser) number() (Arg, error) {
	start := p.pos
	s := p.src
	i := p.pos
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	intStart := i
	if digits() == 0 {
		return Arg{}, p.errf(start, "invalid number literal")
	}
	if s[intStart] == '0' && i-intStart > 1 {
		// JSON number syntax, so the text can be emitted as is.
		return Arg{}, p.errf(start, "invalid number literal: leading zero")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return Arg{}, p.errf(start, "invalid number literal: digit expected after '.'")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return Arg{}, p.errf(start, "invalid number literal: digit expected in exponent")
		}
	}
	if i < len(s) && (isIdent(s[i]) || s[i] == '.') {
		return Arg{}, p.errf(start, "invalid number literal")
	}
	text := s[start:i]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return Arg{}, p.errf(start, "number literal "+text+" is out of range")
	}
	p.pos = i
	return Arg{Kind: ArgLiteral, Lit: value.NumberText(text, f)}, nil
}

// path scans a path argument: it runs to the next ',' or ')' outside brackets,
// parentheses and quotes. The text is checked by the compiler's path parser,
// not here.
func (p *parser) path() (Arg, error) {
	start := p.pos
	s := p.src
	var stack []byte // closers expected, innermost last
	var quote byte
scan:
	for ; p.pos < len(s); p.pos++ {
		c := s[p.pos]
		if quote != 0 {
			switch c {
			case '\\':
				p.pos++
			case quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\'', '"':
			if len(stack) > 0 {
				quote = c
			}
		case '[':
			stack = append(stack, ']')
		case '(':
			stack = append(stack, ')')
		case ']', ')':
			if len(stack) == 0 {
				if c == ')' {
					break scan
				}
				return Arg{}, p.errf(p.pos, "unbalanced ']' in path argument")
			}
			if stack[len(stack)-1] != c {
				return Arg{}, p.errf(p.pos, "unbalanced "+strconv.QuoteRune(rune(c))+" in path argument")
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				break scan
			}
		}
	}
	if quote != 0 || len(stack) > 0 {
		return Arg{}, p.errf(start, "unterminated path argument")
	}
	text := strings.TrimRight(s[start:p.pos], " \t\n\r")
	if len(text) > 1 {
		switch c := text[1]; {
		case c == '.' || c == '[' || c == '$' || isIdent(c):
		default:
			return Arg{}, p.errf(start+1, "invalid path argument "+strconv.Quote(text))
		}
	}
	for i, q := range p.paths {
		if q == text {
			return Arg{Kind: ArgPath, Path: i}, nil
		}
	}
	p.paths = append(p.paths, text)
	return Arg{Kind: ArgPath, Path: len(p.paths) - 1}, nil
}
