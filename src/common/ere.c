/*
 * POSIX extended regular expressions without malloc (see ere.h): a compiler
 * to a Thompson NFA program and a matcher that simulates it breadth first,
 * one subject byte at a time, with its state sets as bitmaps on the stack.
 * No backtracking: a site's pattern can never make a user's program hang.
 *
 * What glibc accepts and how it reads it was studied with probe programs
 * and follows glibc's regcomp.c (parse_expression, parse_dup_op,
 * parse_bracket_exp, peek_token) with REG_EXTENDED|REG_NOSUB in the C
 * locale; fuzz/fuzz-ere.c holds this file to glibc's answers.
 *
 * Sections: the program; compiling (emission, repetition, bracket
 * expressions, the parser); matching; the analysis that lets the matcher
 * skip bytes, and ere_compile.
 */
#include "ere.h"

#include <stdint.h>
#include <string.h>

/* ---- the program ------------------------------------------------------------- */

enum {
	OP_CHAR,     /* consume the byte `arg` */
	OP_ANY,      /* consume any byte ('.': a C string holds no NUL) */
	OP_SET,      /* consume a byte of set `arg` */
	OP_SPLIT,    /* go on at pc + 1 and at pc + off */
	OP_JMP,      /* go on at pc + off */
	OP_ASSERT,   /* go on at pc + 1 if assertion `arg` holds here */
	OP_MATCH,
};

/*
 * Assertions (OP_ASSERT's arg): bits of the mask the matcher computes per
 * position. ^ and $ are not \` and \': glibc's DFA (regexec.c,
 * build_trtable and group_nodes_into_DFAstates) lets ^ hold right after a
 * newline the match has consumed, and $ right before a newline the match
 * goes on to consume, even without REG_NEWLINE ("a.^b" and "a$.b" match
 * "a\nb"; "^b" and "a$" do not match "a\nb" and "a\n"). We do the same.
 */
enum {
	AS_LINE_BEGIN,  /* ^ : the start, or after a consumed newline (see above) */
	AS_LINE_END,    /* $ : the end, or before a newline about to be consumed */
	AS_BUF_BEGIN,   /* \` : the start of the string */
	AS_BUF_END,     /* \' : its end */
	AS_WORD_FIRST,  /* \< : a word byte follows, none precedes */
	AS_WORD_LAST,   /* \> : a word byte precedes, none follows */
	AS_EDGE,        /* \b : one of the two */
	AS_NOT_EDGE,    /* \B : neither: word on both sides or on none */
};

struct ere_insn {
	uint8_t op;      /* OP_* */
	uint8_t arg;     /* OP_CHAR: the byte; OP_SET: set index; OP_ASSERT: AS_* */
	int16_t off;     /* OP_SPLIT, OP_JMP: target - this pc (relative: blocks move and copy) */
};

#define PROG_ANCHORED 1   /* can only start at position 0 */
#define PROG_NULLABLE 2   /* may match without consuming: never skip ahead */

struct ere {
	uint16_t ninsn;           /* instructions, the last one OP_MATCH */
	uint8_t nset;             /* 32-byte sets after the instructions */
	uint8_t flags;            /* PROG_* */
	uint8_t asserts;          /* the AS_* bits its OP_ASSERTs test */
	uint8_t unused;
	uint8_t first[32];        /* bytes that can start a match after position 0 */
	struct ere_insn insn[];   /* then uint8_t set[nset][32] */
};

#define PROG_HEAD offsetof(struct ere, insn)
_Static_assert(((PROG_HEAD + 4 * ERE_MAX_INSNS + 32 * ERE_MAX_SETS + 7) & ~7) <= ERE_PROG_MAX &&
	       ERE_PROG_MAX % 8 == 0 && sizeof(struct ere_insn) == 4, "ERE_PROG_MAX (ere.h) is too small");
#define BIT(set, c) ((set)[(c) >> 3] >> ((c) & 7) & 1)
#define NWORDS (ERE_MAX_INSNS / 64)

static const uint8_t *prog_set(const struct ere *p, unsigned k)
{
	return (const uint8_t *)&p->insn[p->ninsn] + 32 * k;
}

/* [A-Za-z0-9_], glibc's word bytes in the C locale (\w \b \< \>). */
static int is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* ---- compiling: emission ------------------------------------------------------- */

struct level {              /* one open group (level 0: the whole pattern) */
	size_t open;        /* offset of its '(' in the pattern, for errors */
	int grp;            /* pc where its contents start */
	int alt;            /* pc where its current alternative starts */
	int jmps;           /* last JMP to its end still to patch (-1: none); they chain by off */
};

struct comp {
	const unsigned char *re;    /* the pattern */
	size_t i;                   /* read position */
	size_t tok;                 /* where the token being compiled starts (for errors) */
	struct ere *prog;           /* output */
	int n;                      /* instructions emitted */
	int max;                    /* room for instructions */
	int nset;
	uint8_t set[ERE_MAX_SETS][32];
	struct ere_error *err;
};

/* Record an error at pattern offset `at`; returns -1. */
static int fail(struct comp *c, size_t at, const char *msg)
{
	c->err->msg = msg;
	c->err->at = at;
	c->err->no_room = 0;
	return -1;
}

/* Is there room for k more instructions? 0 yes, -1 (error set) no. */
static int room(struct comp *c, long k)
{
	if (c->n + k <= c->max)
		return 0;
	fail(c, c->tok, c->max < ERE_MAX_INSNS ? "no room for the compiled pattern" :
		      "pattern too complex (its program exceeds 1024 instructions)");
	c->err->no_room = c->max < ERE_MAX_INSNS;
	return -1;
}

static void put(struct comp *c, int pc, int op, int arg, int off)
{
	c->prog->insn[pc].op = (uint8_t)op;
	c->prog->insn[pc].arg = (uint8_t)arg;
	c->prog->insn[pc].off = (int16_t)off;
}

/* Append an instruction; returns its pc, or -1 when there is no room. */
static int emit(struct comp *c, int op, int arg, int off)
{
	if (room(c, 1) < 0)
		return -1;
	put(c, c->n, op, arg, off);
	return c->n++;
}

/*
 * Insert an instruction at pc `at`, moving [at, n) up by one. Every jump in
 * that block stays inside it (it is a finished atom or alternative), and
 * jumps are relative, so nothing else needs fixing. -1 when there is no room.
 */
static int insert(struct comp *c, int at, int op, int arg, int off)
{
	if (room(c, 1) < 0)
		return -1;
	memmove(&c->prog->insn[at + 1], &c->prog->insn[at], (size_t)(c->n - at) * sizeof(struct ere_insn));
	put(c, at, op, arg, off);
	c->n++;
	return at;
}

/* Emit a byte set: OP_CHAR for one byte, OP_ANY for all, else a (shared) OP_SET. */
static int emit_set(struct comp *c, const uint8_t set[32])
{
	int count = 0, last = 0, k;

	for (int b = 1; b < 256; b++)      /* NUL never occurs in a subject */
		if (BIT(set, b))
			count++, last = b;
	if (count == 1)
		return emit(c, OP_CHAR, last, 0);
	if (count == 255)
		return emit(c, OP_ANY, 0, 0);
	for (k = 0; k < c->nset; k++)
		if (!memcmp(c->set[k], set, 32))
			break;
	if (k == c->nset) {
		if (k == ERE_MAX_SETS)
			return fail(c, c->tok, "too many different bracket expressions (at most 32)");
		memcpy(c->set[k], set, 32);
		c->nset++;
	}
	return emit(c, OP_SET, k, 0);
}

/* ---- compiling: repetition ---------------------------------------------------------- */

/*
 * Apply {min,max} (max -1: no upper bound) to the block [start, n), the last
 * atom with any quantifiers it already has ("a**" is (a*)*, as in glibc):
 *   x*      SPLIT +len+2; x; JMP -(len+1)
 *   x+      x; SPLIT -len
 *   x?      SPLIT +len+1; x
 *   x{m,n}  m copies of x, then n-m copies of "SPLIT end; x"
 *   x{m,}   m copies of x, the last one looping as in x+
 *   x{0}    nothing (glibc drops it: "a{0}b" matches "b")
 * Returns 0, or -1 when the program would not fit.
 */
static int repeat(struct comp *c, int start, int min, int max)
{
	int len = c->n - start, src, end;
	long total;

	if (len == 0)
		return 0;                          /* "()*": still empty */
	if (max == 0) {
		c->n = start;
		return 0;
	}
	if (min == 0 && max < 0) {
		if (insert(c, start, OP_SPLIT, 0, len + 2) < 0)
			return -1;
		return emit(c, OP_JMP, 0, -(len + 1)) < 0 ? -1 : 0;
	}
	if (min == 1 && max < 0)
		return emit(c, OP_SPLIT, 0, -len) < 0 ? -1 : 0;
	if (min == 0 && max == 1)
		return insert(c, start, OP_SPLIT, 0, len + 1) < 0 ? -1 : 0;
	total = max < 0 ? (long)min * len + 1 : (long)min * len + (long)(max - min) * (len + 1);
	if (room(c, total - len) < 0)
		return -1;
	end = start + (int)total;
	src = start;
	if (min == 0) {                            /* the copy in place becomes optional */
		insert(c, start, OP_SPLIT, 0, end - start);
		src = start + 1;
		max--;
	} else {
		for (int k = 1; k < min; k++) {
			memcpy(&c->prog->insn[c->n], &c->prog->insn[src], (size_t)len * sizeof(struct ere_insn));
			c->n += len;
		}
		if (max < 0)
			return emit(c, OP_SPLIT, 0, -len) < 0 ? -1 : 0;
		max -= min;
	}
	for (int k = 0; k < max; k++) {
		put(c, c->n, OP_SPLIT, 0, end - c->n);
		c->n++;
		memcpy(&c->prog->insn[c->n], &c->prog->insn[src], (size_t)len * sizeof(struct ere_insn));
		c->n += len;
	}
	return 0;
}

/*
 * A count in braces at re[*i]: the value (capped above ERE_MAX_COUNT), or -1
 * when there are no digits. Moves *i past the digits.
 */
static int count(const unsigned char *re, size_t *i)
{
	int v = -1;

	while (re[*i] >= '0' && re[*i] <= '9') {
		v = (v < 0 ? 0 : v) * 10 + (re[*i] - '0');
		if (v > ERE_MAX_COUNT)
			v = ERE_MAX_COUNT + 1;
		(*i)++;
	}
	return v;
}

/*
 * Read "{m}", "{m,}", "{m,n}", "{,n}" or "{,}" at re[c->i] == '{' (glibc
 * reads "{,n}" as {0,n}) and move past it. *max is -1 for no bound.
 * Anything else inside the braces is an error, as in glibc, except that
 * glibc also reads "\," as a comma: we reject that.
 */
static int interval(struct comp *c, int *min, int *max)
{
	size_t at = c->i, i = c->i + 1;

	*min = count(c->re, &i);
	*max = *min;
	if (c->re[i] == ',') {
		if (*min < 0)
			*min = 0;
		i++;
		*max = count(c->re, &i);
	} else if (*min < 0) {
		return fail(c, at, c->re[i] ? "invalid content of {}" : "unmatched '{'");
	}
	if (c->re[i] != '}')
		return fail(c, at, c->re[i] ? "invalid content of {}" : "unmatched '{'");
	if (*min > ERE_MAX_COUNT || *max > ERE_MAX_COUNT)
		return fail(c, at, "repetition count above 255");
	if (*max >= 0 && *min > *max)
		return fail(c, at, "invalid content of {}: minimum above maximum");
	c->i = i + 1;
	return 0;
}

/* ---- compiling: bracket expressions ------------------------------------------------- */

/* The C locale's classes, for [:name:] (our own: libc's ctype follows the locale). */
static int in_class(int k, int b)
{
	int upper = b >= 'A' && b <= 'Z', lower = b >= 'a' && b <= 'z', digit = b >= '0' && b <= '9';
	int graph = b > ' ' && b < 127;

	switch (k) {
	case 0: return upper || lower || digit;                            /* alnum */
	case 1: return upper || lower;                                     /* alpha */
	case 2: return b == ' ' || b == '\t';                              /* blank */
	case 3: return b < ' ' || b == 127;                                /* cntrl */
	case 4: return digit;                                              /* digit */
	case 5: return graph;                                              /* graph */
	case 6: return lower;                                              /* lower */
	case 7: return graph || b == ' ';                                  /* print */
	case 8: return graph && !(upper || lower || digit);                /* punct */
	case 9: return b == ' ' || (b >= '\t' && b <= '\r');               /* space */
	case 10: return upper;                                             /* upper */
	default: return digit || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'); /* xdigit */
	}
}

static const char class_names[][7] = {
	"alnum", "alpha", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
	"space", "upper", "xdigit",
};

static void add_class(uint8_t set[32], int k)
{
	for (int b = 0; b < 256; b++)
		if (in_class(k, b))
			set[b >> 3] |= (uint8_t)(1 << (b & 7));
}

/* Tokens inside brackets, as glibc's peek_token_bracket sees them. */
enum { BT_END, BT_CHAR, BT_RANGE, BT_CLOSE, BT_COLL, BT_EQUIV, BT_CLASS };

static int btoken(const unsigned char *re, size_t i, size_t *len)
{
	*len = 1;
	switch (re[i]) {
	case '\0':
		return BT_END;
	case '-':
		return BT_RANGE;
	case ']':
		return BT_CLOSE;
	case '[':
		*len = 2;
		switch (re[i + 1]) {
		case '.': return BT_COLL;
		case '=': return BT_EQUIV;
		case ':': return BT_CLASS;
		}
		*len = 1;
		return BT_CHAR;
	}
	return BT_CHAR;         /* '^' and '\\' too: literal here */
}

struct belem {
	int kind;               /* BT_CHAR (a byte, also [.x.]), BT_EQUIV ([=x=]) or BT_CLASS */
	int v;                  /* the byte, or the class index */
};

/*
 * One element at re[*i], whose token is tok (length tl): a byte, [.x.],
 * [=x=] or [:name:]. A '-' is an element only first or last (accept_hyphen:
 * first, or the end of a range). Moves *i past it; 0, or -1 with the error.
 */
static int belem(struct comp *c, size_t *i, int tok, size_t tl, int accept_hyphen, struct belem *e)
{
	const unsigned char *re = c->re;
	size_t p = *i + tl, k;
	size_t dummy;

	if (tok == BT_COLL || tok == BT_EQUIV || tok == BT_CLASS) {
		unsigned char delim = re[*i + 1];

		/* glibc's parse_bracket_symbol: up to the first delim + ']' */
		if (!re[p])
			return fail(c, *i, "unmatched '['");
		for (k = 0;; k++) {
			if (k >= 32 || !re[p + k + 1])
				return fail(c, *i, "unmatched '['");
			if (re[p + k] == delim && re[p + k + 1] == ']')
				break;
		}
		if (tok == BT_CLASS) {
			int n;

			for (n = 0; n < 12; n++)
				if (strlen(class_names[n]) == k && !memcmp(class_names[n], re + p, k))
					break;
			if (n == 12)
				return fail(c, *i, "invalid character class name");
			e->kind = BT_CLASS;
			e->v = n;
		} else {
			/* the C locale has single-byte collating elements only */
			if (k != 1)
				return fail(c, *i, "invalid collating element");
			e->kind = tok == BT_COLL ? BT_CHAR : BT_EQUIV;
			e->v = re[p];
		}
		*i = p + k + 2;
		return 0;
	}
	if (tok == BT_RANGE && !accept_hyphen && btoken(re, p, &dummy) != BT_CLOSE)
		return fail(c, *i, "invalid range end");
	e->kind = BT_CHAR;
	e->v = re[*i];
	*i = p;
	return 0;
}

/*
 * The bracket expression at re[c->i] == '[', following glibc's
 * parse_bracket_exp: a leading ']' (after an optional '^') is a member; '-'
 * is a range between two bytes or [.x.], in byte order (the C locale's
 * collation), else a member when first or last; a backslash is a member.
 * Emits it and moves past it.
 */
static int bracket(struct comp *c)
{
	const unsigned char *re = c->re;
	size_t i = c->i + 1, tl, tl2;
	uint8_t set[32];
	int tok, neg = 0, first = 1;

	memset(set, 0, sizeof(set));
	if (re[i] == '^')
		neg = 1, i++;
	tok = btoken(re, i, &tl);
	if (tok == BT_END)
		return fail(c, c->i, "unmatched '['");
	if (tok == BT_CLOSE)
		tok = BT_CHAR;
	for (;;) {
		struct belem s, e;
		int range = 0;

		if (belem(c, &i, tok, tl, first, &s) < 0)
			return -1;
		first = 0;
		tok = btoken(re, i, &tl);
		if (s.kind == BT_CHAR) {
			if (tok == BT_END)
				return fail(c, c->i, "unmatched '['");
			if (tok == BT_RANGE) {
				int t2 = btoken(re, i + tl, &tl2);

				if (t2 == BT_END)
					return fail(c, c->i, "unmatched '['");
				if (t2 == BT_CLOSE) {
					tok = BT_CHAR;     /* "a-]": the '-' is the next member */
				} else {
					range = 1;
					i += tl;
					tok = t2;
					tl = tl2;
				}
			}
		}
		if (range) {
			size_t at = i;

			if (belem(c, &i, tok, tl, 1, &e) < 0)
				return -1;
			tok = btoken(re, i, &tl);
			if (e.kind != BT_CHAR)
				return fail(c, at, "invalid range end");
			if (s.v > e.v)
				return fail(c, at, "invalid range end: range out of order");
			for (int b = s.v; b <= e.v; b++)
				set[b >> 3] |= (uint8_t)(1 << (b & 7));
		} else if (s.kind == BT_CLASS) {
			add_class(set, s.v);
		} else {
			set[s.v >> 3] |= (uint8_t)(1 << (s.v & 7));
		}
		if (tok == BT_END)
			return fail(c, c->i, "unmatched '['");
		if (tok == BT_CLOSE)
			break;
	}
	if (neg)
		for (int k = 0; k < 32; k++)
			set[k] = (uint8_t)~set[k];
	c->i = i + 1;
	return emit_set(c, set) < 0 ? -1 : 0;
}

/* \w \W \s \S: glibc's "alnum" plus '_', and "space", maybe negated. */
static int escape_set(struct comp *c, unsigned char e)
{
	uint8_t set[32];

	memset(set, 0, sizeof(set));
	if (e == 'w' || e == 'W') {
		add_class(set, 0);
		set['_' >> 3] |= 1 << ('_' & 7);
	} else {
		add_class(set, 9);
	}
	if (e == 'W' || e == 'S')
		for (int k = 0; k < 32; k++)
			set[k] = (uint8_t)~set[k];
	return emit_set(c, set);
}

/* ---- compiling: the parser ------------------------------------------------------------ */

/*
 * End the current alternative of level l at a '|': "SPLIT next; alt; JMP
 * end", the JMP chained to the level's others until its end is known.
 */
static int alternative(struct comp *c, struct level *l)
{
	int j;

	if (insert(c, l->alt, OP_SPLIT, 0, 0) < 0 || (j = emit(c, OP_JMP, 0, l->jmps)) < 0)
		return -1;
	c->prog->insn[l->alt].off = (int16_t)(c->n - l->alt);
	l->jmps = j;
	l->alt = c->n;
	return 0;
}

/* Level l ends here: its alternatives' JMPs now point at the end. */
static void close_level(struct comp *c, struct level *l)
{
	for (int j = l->jmps, next; j >= 0; j = next) {
		next = c->prog->insn[j].off;
		c->prog->insn[j].off = (int16_t)(c->n - j);
	}
}

/*
 * The pattern, left to right. `last` is the pc where the atom a quantifier
 * would apply to starts, or -1 where glibc's parse_expression would meet
 * the quantifier first: at the start, after '(' or '|', and after an
 * anchor (anchors take no quantifier: "^*" is an error in glibc's ERE).
 */
static int parse(struct comp *c)
{
	struct level lv[ERE_MAX_DEPTH + 1];
	int depth = 0, last = -1, min, max;

	lv[0].open = 0;
	lv[0].grp = lv[0].alt = 0;
	lv[0].jmps = -1;
	for (;;) {
		unsigned char ch = c->re[c->i], e;
		int pc = c->n;

		c->tok = c->i;
		switch (ch) {
		case '\0':
			if (depth)
				return fail(c, lv[depth].open, "unmatched '('");
			close_level(c, &lv[0]);
			return 0;
		case '|':
			if (alternative(c, &lv[depth]) < 0)
				return -1;
			last = -1;
			c->i++;
			continue;
		case '(':
			if (depth == ERE_MAX_DEPTH)
				return fail(c, c->i, "groups nested too deep (at most 32)");
			depth++;
			lv[depth].open = c->i;
			lv[depth].grp = lv[depth].alt = c->n;
			lv[depth].jmps = -1;
			last = -1;
			c->i++;
			continue;
		case ')':
			if (!depth)
				break;                   /* unmatched: a literal, as in glibc */
			close_level(c, &lv[depth]);
			last = lv[depth--].grp;
			c->i++;
			continue;
		case '*': case '+': case '?': case '{':
			if (last < 0)
				return fail(c, c->i, "nothing to repeat before a quantifier");
			if (ch == '{') {
				if (interval(c, &min, &max) < 0)
					return -1;
			} else {
				min = ch == '+';
				max = ch == '?' ? 1 : -1;
				c->i++;
			}
			if (repeat(c, last, min, max) < 0)
				return -1;
			continue;
		case '^': case '$':
			if (emit(c, OP_ASSERT, ch == '^' ? AS_LINE_BEGIN : AS_LINE_END, 0) < 0)
				return -1;
			last = -1;
			c->i++;
			continue;
		case '.':
			if (emit(c, OP_ANY, 0, 0) < 0)
				return -1;
			last = pc;
			c->i++;
			continue;
		case '[':
			if (bracket(c) < 0)
				return -1;
			last = pc;
			continue;
		case '\\':
			e = c->re[c->i + 1];
			if (!e)
				return fail(c, c->i, "trailing backslash");
			if (e >= '1' && e <= '9')
				return fail(c, c->i, "back-references are not supported");
			if (strchr("<>bB`'", e)) {
				static const char as[] = { AS_WORD_FIRST, AS_WORD_LAST, AS_EDGE,
							   AS_NOT_EDGE, AS_BUF_BEGIN, AS_BUF_END };

				if (emit(c, OP_ASSERT, as[strchr("<>bB`'", e) - "<>bB`'"], 0) < 0)
					return -1;
				last = -1;
			} else if (strchr("wWsS", e)) {
				if (escape_set(c, e) < 0)
					return -1;
				last = pc;
			} else {
				if (emit(c, OP_CHAR, e, 0) < 0)   /* "\." "\n" "\{": the byte */
					return -1;
				last = pc;
			}
			c->i += 2;
			continue;
		}
		/* any other byte, '}' ']' and an unmatched ')' included: itself */
		if (emit(c, OP_CHAR, ch, 0) < 0)
			return -1;
		last = pc;
		c->i++;
	}
}

/* ---- matching ---------------------------------------------------------------------------- */

static int test(const uint64_t *s, unsigned pc)
{
	return s[pc >> 6] >> (pc & 63) & 1;
}

static void set_bit(uint64_t *s, unsigned pc)
{
	s[pc >> 6] |= 1ull << (pc & 63);
}

/*
 * The epsilon closure at one position: every pc in `pend` (already set in
 * `mark`) and every pc reachable from them through SPLIT, JMP and the
 * assertions that hold here (bits of `ok`) gets marked; pend ends empty.
 * Returns 1 as soon as OP_MATCH is reached, if `can_match`. Each pc is
 * visited at most once per position, so with the word scan a position
 * costs O(ninsn * ninsn/64). pend is a bitmap, not a stack: 128 bytes
 * instead of 2 KB on what may be a small signal stack.
 */
static int closure(const struct ere *p, uint64_t *pend, uint64_t *mark, unsigned ok, int can_match)
{
	unsigned w = 0, nw = (p->ninsn + 63u) / 64u;

	while (w < nw) {
		unsigned pc, t;
		const struct ere_insn *in;

		if (!pend[w]) {
			w++;
			continue;
		}
		pc = w * 64 + (unsigned)__builtin_ctzll(pend[w]);
		pend[w] &= pend[w] - 1;
		in = &p->insn[pc];
		if (in->op <= OP_SET)
			continue;                  /* consuming: stays marked for step() */
		if (in->op == OP_MATCH) {
			if (can_match)
				return 1;
			continue;
		}
		if (in->op == OP_ASSERT && !(ok >> in->arg & 1))
			continue;
		/* SPLIT and JMP go to pc + off, SPLIT and ASSERT to pc + 1 */
		for (t = in->op == OP_JMP ? (unsigned)((int)pc + in->off) : pc + 1;;
		     t = (unsigned)((int)pc + in->off)) {
			uint64_t bit = 1ull << (t & 63);

			if (!(mark[t >> 6] & bit)) {
				mark[t >> 6] |= bit;
				pend[t >> 6] |= bit;
				if (t >> 6 < w)
					w = t >> 6;
			}
			if (in->op != OP_SPLIT || t != pc + 1)
				break;
		}
	}
	return 0;
}

/*
 * Before a newline: the threads in `from` stopped at a $ go on past it into
 * `mark`/`pend`, as threads that may only consume (glibc's quirk, above).
 */
static void past_line_end(const struct ere *p, const uint64_t *from, uint64_t *pend, uint64_t *mark)
{
	unsigned nw = (p->ninsn + 63u) / 64u;

	for (unsigned w = 0; w < nw; w++) {
		for (uint64_t m = from[w]; m; m &= m - 1) {
			unsigned pc = w * 64 + (unsigned)__builtin_ctzll(m);

			if (p->insn[pc].op == OP_ASSERT && p->insn[pc].arg == AS_LINE_END &&
			    !test(mark, pc + 1)) {
				set_bit(mark, pc + 1);
				set_bit(pend, pc + 1);
			}
		}
	}
}

/* Does the consuming instruction `in` take byte b? */
static int takes(const struct ere *p, const struct ere_insn *in, unsigned char b)
{
	switch (in->op) {
	case OP_CHAR:
		return in->arg == b;
	case OP_ANY:
		return 1;
	case OP_SET:
		return BIT(prog_set(p, in->arg), b);
	}
	return 0;
}

/* Move the threads of `mark` that take byte b to pend (the next position); any? */
static int step(const struct ere *p, const uint64_t *mark, uint64_t *pend, unsigned char b)
{
	unsigned nw = (p->ninsn + 63u) / 64u;
	int alive = 0;

	for (unsigned w = 0; w < nw; w++) {
		for (uint64_t m = mark[w]; m; m &= m - 1) {
			unsigned pc = w * 64 + (unsigned)__builtin_ctzll(m);

			if (takes(p, &p->insn[pc], b)) {
				set_bit(pend, pc + 1);
				alive = 1;
			}
		}
	}
	return alive;
}

/*
 * The assertions that hold between s[i-1] and s[i] for a thread starting
 * there (i == 0: the start of the string); one that arrived by consuming a
 * newline also passes ^.
 */
static unsigned context(const unsigned char *s, size_t i)
{
	int prev = i > 0 && is_word(s[i - 1]), next = s[i] && is_word(s[i]);
	unsigned ok = 0;

	if (i == 0)
		ok |= 1u << AS_LINE_BEGIN | 1u << AS_BUF_BEGIN;
	if (!s[i])
		ok |= 1u << AS_LINE_END | 1u << AS_BUF_END;
	if (!prev && next)
		ok |= 1u << AS_WORD_FIRST;
	if (prev && !next)
		ok |= 1u << AS_WORD_LAST;
	ok |= 1u << (prev != next ? AS_EDGE : AS_NOT_EDGE);
	return ok;
}

static int same(const uint64_t *a, const uint64_t *b, unsigned nw)
{
	for (unsigned w = 0; w < nw; w++)
		if (a[w] != b[w])
			return 0;
	return 1;
}

/*
 * The breadth-first simulation. At each position: the threads that arrived
 * (pend) are closed over epsilon moves, then a new one at pc 0 (an
 * unanchored search; it comes second because an arrived thread can do
 * everything a new one can, so a pc it marked needs no second visit);
 * before a newline, the threads stopped at a $ go on in a second set that
 * may not match here (`quirk`). The consuming threads that take s[i] arrive
 * at i + 1. While none is alive, bytes that cannot start a match are
 * skipped. The last closure is remembered with what it came from (threads
 * and assertions): in a loop such as ".*" the same one comes again and
 * again, and is not worked out again.
 */
int ere_match(const struct ere *p, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	uint64_t pend[NWORDS], mark[NWORDS], quirk[NWORDS], memo_in[NWORDS], memo_out[NWORDS];
	unsigned nw = (p->ninsn + 63u) / 64u, memo_key = ~0u;
	size_t words = nw * sizeof(uint64_t);
	int alive = 0;

	for (unsigned w = 0; w < nw; w++)
		pend[w] = 0;
	for (size_t i = 0;; i++) {
		unsigned ok, ok_arrived, key;
		int nl, fresh;

		if (!alive && i > 0) {
			if (p->flags & PROG_ANCHORED)
				return 0;
			if (!(p->flags & PROG_NULLABLE)) {
				while (s[i] && !BIT(p->first, s[i]))
					i++;
				if (!s[i])
					return 0;
			}
		}
		ok = context(s, i) & p->asserts;
		ok_arrived = (ok | (unsigned)(alive && s[i - 1] == '\n') << AS_LINE_BEGIN) & p->asserts;
		nl = s[i] == '\n';
		fresh = i == 0 || !(p->flags & PROG_ANCHORED);
		key = ok_arrived | ok << 8 | (unsigned)fresh << 16;
		if (!nl && key == memo_key && same(pend, memo_in, nw)) {
			for (unsigned w = 0; w < nw; w++)
				mark[w] = memo_out[w], pend[w] = 0;
		} else {
			for (unsigned w = 0; w < nw; w++)
				mark[w] = memo_in[w] = pend[w];
			if (nl)
				memset(quirk, 0, words);
			if (alive) {
				if (closure(p, pend, mark, ok_arrived, 1))
					return 1;
				if (nl) {
					past_line_end(p, mark, pend, quirk);
					closure(p, pend, quirk, ok_arrived | 1u << AS_LINE_END, 0);
				}
			}
			if (fresh && !test(mark, 0)) {
				set_bit(mark, 0);
				set_bit(pend, 0);
				if (closure(p, pend, mark, ok, 1))
					return 1;
				if (nl) {
					past_line_end(p, mark, pend, quirk);
					closure(p, pend, quirk, ok | 1u << AS_LINE_END, 0);
				}
			}
			memo_key = nl ? ~0u : key;
			for (unsigned w = 0; w < nw; w++)
				memo_out[w] = mark[w];
		}
		if (!s[i])
			return 0;
		alive = step(p, mark, pend, s[i]);
		if (nl)
			alive |= step(p, quirk, pend, s[i]);
	}
}

/* ---- the analysis that lets the matcher skip ------------------------------------------- */

/*
 * What can happen from pc 0 at a position after the first: ^ fails there
 * (no REG_NEWLINE), every other assertion is assumed to hold (an
 * over-estimate is safe). The bytes the reachable consuming instructions
 * take are the only ones a match can start with; none and no way to
 * OP_MATCH: the pattern can only match from position 0.
 */
static void analyse(struct ere *p)
{
	uint64_t pend[NWORDS], mark[NWORDS];
	unsigned nw = (p->ninsn + 63u) / 64u;
	int nullable, any = 0;

	memset(pend, 0, sizeof(pend));
	memset(mark, 0, sizeof(mark));
	pend[0] = mark[0] = 1;
	nullable = closure(p, pend, mark, ~(1u << AS_LINE_BEGIN | 1u << AS_BUF_BEGIN), 1);
	memset(p->first, 0, sizeof(p->first));
	for (unsigned w = 0; w < nw; w++) {
		for (uint64_t m = mark[w]; m; m &= m - 1) {
			const struct ere_insn *in = &p->insn[w * 64 + (unsigned)__builtin_ctzll(m)];

			if (in->op == OP_CHAR)
				p->first[in->arg >> 3] |= (uint8_t)(1 << (in->arg & 7));
			else if (in->op == OP_ANY)
				memset(p->first, 0xff, sizeof(p->first));
			else if (in->op == OP_SET)
				for (int k = 0; k < 32; k++)
					p->first[k] |= prog_set(p, in->arg)[k];
		}
	}
	p->first[0] &= 0xfe;            /* NUL never occurs */
	p->asserts = 0;
	for (unsigned pc = 0; pc < p->ninsn; pc++)
		if (p->insn[pc].op == OP_ASSERT)
			p->asserts |= (uint8_t)(1u << p->insn[pc].arg);
	for (int k = 0; k < 32; k++)
		any |= p->first[k];
	p->flags = (uint8_t)((nullable ? PROG_NULLABLE : 0) | (!nullable && !any ? PROG_ANCHORED : 0));
}

long ere_compile(void *buf, size_t cap, const char *pattern, struct ere_error *err)
{
	struct comp c;
	size_t size;

	memset(&c, 0, sizeof(c));
	c.re = (const unsigned char *)pattern;
	c.prog = buf;
	c.err = err;
	if (cap > ERE_PROG_MAX)
		cap = ERE_PROG_MAX;
	c.max = cap < PROG_HEAD ? 0 : (int)((cap - PROG_HEAD) / sizeof(struct ere_insn));
	if (c.max > ERE_MAX_INSNS)
		c.max = ERE_MAX_INSNS;
	if (parse(&c) < 0 || emit(&c, OP_MATCH, 0, 0) < 0)
		return -1;
	size = PROG_HEAD + (size_t)c.n * sizeof(struct ere_insn) + 32 * (size_t)c.nset;
	size = (size + 7) & ~(size_t)7;
	if (size > cap) {
		c.max = 0;                 /* the sets do not fit after the instructions */
		room(&c, 1);
		return -1;
	}
	c.prog->ninsn = (uint16_t)c.n;
	c.prog->nset = (uint8_t)c.nset;
	memcpy(&c.prog->insn[c.n], c.set, 32 * (size_t)c.nset);
	analyse(c.prog);
	return (long)size;
}
