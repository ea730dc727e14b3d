/* Infix expression evaluator: tokenizer, shunting-yard compilation to RPN,
 * RPN evaluation, and a recursive-descent evaluator used as a cross-check.
 * Supports + - * / % ^, unary minus, parentheses, variables and functions. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

typedef enum { T_NUM, T_VAR, T_FUNC, T_OP, T_LPAREN, T_RPAREN, T_COMMA, T_END, T_ERR } ttype;

typedef struct {
    ttype t;
    double num;
    char name[8];
    char op; /* '+', '-', '*', '/', '%', '^', or 'n' for unary minus */
} token;

typedef struct {
    const char *p;
    token cur;
    int prev_value; /* previous token ends a value (for unary minus) */
} lexer;

static void lex_next(lexer *lx)
{
    while (isspace((unsigned char)*lx->p)) lx->p++;
    token t;
    memset(&t, 0, sizeof t);
    char c = *lx->p;
    if (!c) {
        t.t = T_END;
    } else if (isdigit((unsigned char)c) || c == '.') {
        char *end;
        t.t = T_NUM;
        t.num = strtod(lx->p, &end);
        lx->p = end;
    } else if (isalpha((unsigned char)c)) {
        size_t n = 0;
        while (isalnum((unsigned char)*lx->p)) {
            if (n < sizeof t.name - 1) t.name[n++] = *lx->p;
            lx->p++;
        }
        const char *q = lx->p;
        while (isspace((unsigned char)*q)) q++;
        t.t = *q == '(' ? T_FUNC : T_VAR;
    } else if (strchr("+-*/%^", c)) {
        t.t = T_OP;
        t.op = (c == '-' && !lx->prev_value) ? 'n' : c;
        lx->p++;
    } else if (c == '(') {
        t.t = T_LPAREN;
        lx->p++;
    } else if (c == ')') {
        t.t = T_RPAREN;
        lx->p++;
    } else if (c == ',') {
        t.t = T_COMMA;
        lx->p++;
    } else {
        t.t = T_ERR;
    }
    lx->prev_value = t.t == T_NUM || t.t == T_VAR || t.t == T_RPAREN;
    lx->cur = t;
}

typedef struct {
    const char *names[8];
    double values[8];
    int n;
} env;

static int env_get(const env *e, const char *name, double *v)
{
    for (int i = 0; i < e->n; i++)
        if (strcmp(e->names[i], name) == 0) {
            *v = e->values[i];
            return 0;
        }
    return -1;
}

static int call_func(const char *name, const double *args, int nargs, double *out)
{
    static const struct {
        const char *name;
        int nargs;
    } funcs[] = {{"sin", 1}, {"cos", 1}, {"sqrt", 1}, {"exp", 1}, {"ln", 1}, {"abs", 1},
                 {"max", 2}, {"min", 2}, {"hypot", 2}, {"clamp", 3}};
    for (size_t i = 0; i < JT_ARRAY_LEN(funcs); i++) {
        if (strcmp(funcs[i].name, name) != 0) continue;
        if (funcs[i].nargs != nargs) return -1;
        switch (i) {
        case 0: *out = sin(args[0]); break;
        case 1: *out = cos(args[0]); break;
        case 2: *out = sqrt(args[0]); break;
        case 3: *out = exp(args[0]); break;
        case 4: *out = log(args[0]); break;
        case 5: *out = fabs(args[0]); break;
        case 6: *out = fmax(args[0], args[1]); break;
        case 7: *out = fmin(args[0], args[1]); break;
        case 8: *out = hypot(args[0], args[1]); break;
        default: *out = fmin(fmax(args[0], args[1]), args[2]); break;
        }
        return 0;
    }
    return -1;
}

static double apply_op(char op, double a, double b)
{
    switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '%': return fmod(a, b);
    default: return pow(a, b);
    }
}

/* ---- Recursive descent ---------------------------------------------------
 * expr   := term (('+'|'-') term)*
 * term   := unary (('*'|'/'|'%') unary)*
 * unary  := '-' unary | power
 * power  := atom ('^' unary)?
 * atom   := NUM | VAR | FUNC '(' args ')' | '(' expr ')'                    */
typedef struct {
    lexer lx;
    const env *e;
    int err;
} rd;

static double rd_expr(rd *s);

static double rd_atom(rd *s)
{
    token t = s->lx.cur;
    if (t.t == T_NUM) {
        lex_next(&s->lx);
        return t.num;
    }
    if (t.t == T_VAR) {
        double v = 0;
        if (env_get(s->e, t.name, &v)) s->err = 1;
        lex_next(&s->lx);
        return v;
    }
    if (t.t == T_FUNC) {
        double args[4];
        int n = 0;
        lex_next(&s->lx); /* name */
        lex_next(&s->lx); /* '(' */
        if (s->lx.cur.t != T_RPAREN) {
            for (;;) {
                double a = rd_expr(s);
                if (n < 4) args[n++] = a;
                if (s->lx.cur.t != T_COMMA) break;
                lex_next(&s->lx);
            }
        }
        if (s->lx.cur.t != T_RPAREN) s->err = 1;
        lex_next(&s->lx);
        double r = 0;
        if (call_func(t.name, args, n, &r)) s->err = 1;
        return r;
    }
    if (t.t == T_LPAREN) {
        lex_next(&s->lx);
        double v = rd_expr(s);
        if (s->lx.cur.t != T_RPAREN) s->err = 1;
        lex_next(&s->lx);
        return v;
    }
    s->err = 1;
    return 0;
}

static double rd_unary(rd *s);

static double rd_power(rd *s)
{
    double base = rd_atom(s);
    if (s->lx.cur.t == T_OP && s->lx.cur.op == '^') {
        lex_next(&s->lx);
        return pow(base, rd_unary(s));
    }
    return base;
}

static double rd_unary(rd *s)
{
    if (s->lx.cur.t == T_OP && s->lx.cur.op == 'n') {
        lex_next(&s->lx);
        return -rd_unary(s);
    }
    return rd_power(s);
}

static double rd_term(rd *s)
{
    double v = rd_unary(s);
    while (s->lx.cur.t == T_OP && strchr("*/%", s->lx.cur.op)) {
        char op = s->lx.cur.op;
        lex_next(&s->lx);
        v = apply_op(op, v, rd_unary(s));
    }
    return v;
}

static double rd_expr(rd *s)
{
    double v = rd_term(s);
    while (s->lx.cur.t == T_OP && (s->lx.cur.op == '+' || s->lx.cur.op == '-')) {
        char op = s->lx.cur.op;
        lex_next(&s->lx);
        v = apply_op(op, v, rd_term(s));
    }
    return v;
}

static int eval_rd(const char *src, const env *e, double *out)
{
    rd s = {{src, {0}, 0}, e, 0};
    s.lx.p = src;
    lex_next(&s.lx);
    *out = rd_expr(&s);
    if (s.lx.cur.t != T_END) s.err = 1;
    return s.err ? -1 : 0;
}

/* ---- Shunting-yard to RPN ------------------------------------------------ */
static int prec(char op) { return op == '+' || op == '-' ? 1 : op == 'n' ? 3 : op == '^' ? 4 : 2; }
static int right_assoc(char op) { return op == '^' || op == 'n'; }

static int to_rpn(const char *src, token *out, int cap)
{
    token stack[64];
    int argc[64];
    int sp = 0, n = 0, fdepth = 0;
    lexer lx = {src, {0}, 0};
    lex_next(&lx);
    while (lx.cur.t != T_END) {
        token t = lx.cur;
        if (n >= cap - 1 || sp >= 63) return -1;
        switch (t.t) {
        case T_NUM:
        case T_VAR: out[n++] = t; break;
        case T_FUNC: stack[sp++] = t; break;
        case T_OP:
            /* A prefix operator binds to what follows and pops nothing. */
            while (t.op != 'n' && sp && stack[sp - 1].t == T_OP &&
                   (prec(stack[sp - 1].op) > prec(t.op) || (prec(stack[sp - 1].op) == prec(t.op) && !right_assoc(t.op))))
                out[n++] = stack[--sp];
            stack[sp++] = t;
            break;
        case T_LPAREN:
            argc[fdepth++] = 1;
            stack[sp++] = t;
            break;
        case T_COMMA:
            while (sp && stack[sp - 1].t != T_LPAREN) out[n++] = stack[--sp];
            if (!sp || !fdepth) return -1;
            argc[fdepth - 1]++;
            break;
        case T_RPAREN:
            while (sp && stack[sp - 1].t != T_LPAREN) out[n++] = stack[--sp];
            if (!sp) return -1;
            sp--;
            fdepth--;
            if (sp && stack[sp - 1].t == T_FUNC) {
                token f = stack[--sp];
                f.num = argc[fdepth];
                out[n++] = f;
            }
            break;
        default: return -1;
        }
        lex_next(&lx);
    }
    while (sp) {
        if (stack[sp - 1].t == T_LPAREN) return -1;
        out[n++] = stack[--sp];
    }
    return n;
}

static int eval_rpn(const token *rpn, int n, const env *e, double *out)
{
    double st[64];
    int sp = 0;
    for (int i = 0; i < n; i++) {
        const token *t = &rpn[i];
        if (t->t == T_NUM) {
            st[sp++] = t->num;
        } else if (t->t == T_VAR) {
            if (env_get(e, t->name, &st[sp++])) return -1;
        } else if (t->t == T_OP && t->op == 'n') {
            if (sp < 1) return -1;
            st[sp - 1] = -st[sp - 1];
        } else if (t->t == T_OP) {
            if (sp < 2) return -1;
            sp--;
            st[sp - 1] = apply_op(t->op, st[sp - 1], st[sp]);
        } else if (t->t == T_FUNC) {
            int k = (int)t->num;
            if (sp < k) return -1;
            double r;
            if (call_func(t->name, st + sp - k, k, &r)) return -1;
            sp -= k;
            st[sp++] = r;
        }
    }
    if (sp != 1) return -1;
    *out = st[0];
    return 0;
}

int expr_selftest(uint64_t *digest)
{
    env e = {{"x", "y", "pi"}, {3, 4, JT_PI}, 3};
    static const struct {
        const char *src;
        double expect;
    } cases[] = {
        {"1 + 2 * 3", 7},
        {"(1 + 2) * 3", 9},
        {"2 ^ 3 ^ 2", 512},
        {"-2 ^ 2", -4},
        {"2 * -x", -6},
        {"hypot(x, y)", 5},
        {"max(x, y) - min(x, y)", 1},
        {"sqrt(x*x + y*y) / 5", 1},
        {"sin(pi / 2) + cos(0)", 2},
        {"17 % 5 + 10 / 4", 4.5},
        {"clamp(x * 10, 0, 25)", 25},
        {"ln(exp(2.5))", 2.5},
        {"-(-(-1))", -1},
        {"abs(1 - x) * (y - -1)", 10},
        {"1.5e2 + .5", 150.5},
        {"2 ^ -1 * 4", 2},
    };
    token rpn[128];
    for (size_t i = 0; i < JT_ARRAY_LEN(cases); i++) {
        double a = 0, b = 0;
        JT_CHECK(eval_rd(cases[i].src, &e, &a) == 0);
        int n = to_rpn(cases[i].src, rpn, 128);
        JT_CHECK(n > 0);
        JT_CHECK(eval_rpn(rpn, n, &e, &b) == 0);
        JT_CHECK(fabs(a - cases[i].expect) < 1e-12);
        JT_CHECK(fabs(b - cases[i].expect) < 1e-12);
        *digest = jt_digest_double(*digest, a);
    }
    double v;
    JT_CHECK(eval_rd("1 +", &e, &v) != 0);
    JT_CHECK(eval_rd("(1 + 2", &e, &v) != 0);
    JT_CHECK(eval_rd("zz * 2", &e, &v) != 0);
    JT_CHECK(eval_rd("max(1)", &e, &v) != 0);
    JT_CHECK(to_rpn("(1 + 2", rpn, 128) < 0);

    /* Random expression trees: both evaluators must agree. */
    jt_rng r = {61};
    for (int iter = 0; iter < 300; iter++) {
        char buf[256];
        size_t len = 0;
        int depth = 0;
        for (int k = 0; k < 12; k++) {
            if (jt_rng_below(&r, 4) == 0 && len < 200) {
                buf[len++] = '(';
                depth++;
            }
            len += (size_t)sprintf(buf + len, "%u", 1 + jt_rng_below(&r, 9));
            if (depth && jt_rng_below(&r, 3) == 0) {
                buf[len++] = ')';
                depth--;
            }
            if (k < 11) buf[len++] = "+-*/"[jt_rng_below(&r, 4)];
        }
        while (depth--) buf[len++] = ')';
        buf[len] = 0;
        double a = 0, b = 0;
        JT_CHECK(eval_rd(buf, &e, &a) == 0);
        int n = to_rpn(buf, rpn, 128);
        JT_CHECK(n > 0 && eval_rpn(rpn, n, &e, &b) == 0);
        JT_CHECK(a == b || (isnan(a) && isnan(b)));
        *digest = jt_digest_double(*digest, a);
    }
    return 0;
}
