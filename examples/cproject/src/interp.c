/* A tiny stack machine: a two-pass text assembler plus two interpreters
 * (switch dispatch and direct-threaded computed-goto dispatch) that must
 * agree, each instantiated for 32-bit, 64-bit and double value cells. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>

#include "common.h"

#define VM_OPS(X)                                                              \
    X(HALT, 0) X(PUSH, 1) X(POP, 0) X(DUP, 0) X(SWAP, 0) X(OVER, 0) X(ADD, 0)  \
    X(SUB, 0) X(MUL, 0) X(DIV, 0) X(MOD, 0) X(NEG, 0) X(EQ, 0) X(LT, 0)         \
    X(GT, 0) X(NOT, 0) X(JMP, 1) X(JZ, 1) X(JNZ, 1) X(LOAD, 1) X(STORE, 1)     \
    X(CALL, 1) X(RET, 0) X(EMIT, 0)

enum vm_op {
#define VM_ENUM(name, nargs) OP_##name,
    VM_OPS(VM_ENUM)
#undef VM_ENUM
    OP_COUNT
};

static const struct {
    const char *name;
    int nargs;
} vm_opinfo[] = {
#define VM_INFO(name, nargs) {#name, nargs},
    VM_OPS(VM_INFO)
#undef VM_INFO
};

enum { VM_MAX_CODE = 512, VM_STACK = 256, VM_SLOTS = 16, VM_OUT = 64 };

struct vm_program {
    int64_t code[VM_MAX_CODE];
    size_t len;
};

/* Two-pass assembler: "label:" defines a label, "op [arg]" emits code;
 * arguments are integers or label names; ';' starts a comment. */
static int vm_assemble(const char *src, struct vm_program *prog)
{
    char labels[32][16];
    int64_t addrs[32];
    size_t nlabels = 0;
    for (int pass = 0; pass < 2; pass++) {
        const char *p = src;
        prog->len = 0;
        while (*p) {
            char tok[2][16];
            int ntok = 0;
            while (*p && *p != '\n') {
                while (*p == ' ' || *p == '\t') p++;
                if (*p == ';') {
                    while (*p && *p != '\n') p++;
                    break;
                }
                if (!*p || *p == '\n') break;
                size_t k = 0;
                while (*p && !isspace((unsigned char)*p) && *p != ';') {
                    if (k < 15 && ntok < 2) tok[ntok][k++] = (char)tolower((unsigned char)*p);
                    p++;
                }
                if (ntok < 2) tok[ntok++][k] = 0;
            }
            if (*p == '\n') p++;
            if (ntok == 0) continue;
            size_t tl = strlen(tok[0]);
            if (tok[0][tl - 1] == ':') {
                if (pass == 0) {
                    if (nlabels == 32) return -1;
                    tok[0][tl - 1] = 0;
                    memcpy(labels[nlabels], tok[0], sizeof labels[0]);
                    addrs[nlabels++] = (int64_t)prog->len;
                }
                continue;
            }
            int op = -1;
            for (int i = 0; i < OP_COUNT; i++) {
                char lower[16];
                size_t j = 0;
                for (; vm_opinfo[i].name[j]; j++) lower[j] = (char)tolower((unsigned char)vm_opinfo[i].name[j]);
                lower[j] = 0;
                if (strcmp(lower, tok[0]) == 0) op = i;
            }
            if (op < 0 || ntok - 1 != vm_opinfo[op].nargs) return -1;
            if (prog->len + 2 > VM_MAX_CODE) return -1;
            prog->code[prog->len++] = op;
            if (vm_opinfo[op].nargs) {
                int64_t v = 0;
                if (isdigit((unsigned char)tok[1][0]) || tok[1][0] == '-') {
                    v = strtoll(tok[1], NULL, 10);
                } else if (pass == 1) {
                    size_t i = 0;
                    while (i < nlabels && strcmp(labels[i], tok[1]) != 0) i++;
                    if (i == nlabels) return -1;
                    v = addrs[i];
                }
                prog->code[prog->len++] = v;
            }
        }
    }
    return 0;
}

/* Arithmetic per value type. Integer ops wrap (computed in unsigned) and
 * division by zero yields 0, so every program has defined behaviour. */
#define VM_INT_OPS(sfx, V, UV, VMIN)                                                     \
    static inline V vm_add_##sfx(V a, V b) { return (V)((UV)a + (UV)b); }               \
    static inline V vm_sub_##sfx(V a, V b) { return (V)((UV)a - (UV)b); }               \
    static inline V vm_mul_##sfx(V a, V b) { return (V)((UV)a * (UV)b); }               \
    static inline V vm_neg_##sfx(V a) { return (V)(0 - (UV)a); }                        \
    static inline V vm_div_##sfx(V a, V b) { return b == 0 || (a == VMIN && b == -1) ? 0 : a / b; } \
    static inline V vm_mod_##sfx(V a, V b) { return b == 0 || (a == VMIN && b == -1) ? 0 : a % b; }
VM_INT_OPS(i32, int32_t, uint32_t, INT32_MIN)
VM_INT_OPS(i64, int64_t, uint64_t, INT64_MIN)
static inline double vm_add_f64(double a, double b) { return a + b; }
static inline double vm_sub_f64(double a, double b) { return a - b; }
static inline double vm_mul_f64(double a, double b) { return a * b; }
static inline double vm_neg_f64(double a) { return -a; }
static inline double vm_div_f64(double a, double b) { return b == 0 ? 0 : a / b; }
static inline double vm_mod_f64(double a, double b) { return b == 0 ? 0 : fmod(a, b); }

#define VM_TYPES(X) X(i32, int32_t) X(i64, int64_t) X(f64, double)

#define VM_BINOP(V, expr)     \
    do {                      \
        V b = st[--sp];       \
        V a = st[sp - 1];     \
        st[sp - 1] = (expr);  \
    } while (0)

/* Each value type gets a switch-dispatched and a computed-goto interpreter. */
#define VM_IMPL(sfx, V)                                                                   \
    struct vm_result_##sfx {                                                              \
        V out[VM_OUT];                                                                    \
        size_t nout;                                                                      \
        V top;                                                                            \
        uint64_t steps;                                                                   \
        int error;                                                                        \
    };                                                                                    \
    static void vm_run_switch_##sfx(const struct vm_program *prog, struct vm_result_##sfx *res) \
    {                                                                                     \
        V st[VM_STACK], slots[VM_SLOTS] = {0};                                            \
        size_t rs[VM_STACK];                                                              \
        size_t sp = 0, rsp = 0, pc = 0;                                                   \
        memset(res, 0, sizeof *res);                                                      \
        for (;;) {                                                                        \
            res->steps++;                                                                 \
            if (pc >= prog->len || sp + 2 >= VM_STACK || rsp + 1 >= VM_STACK) {           \
                res->error = 1;                                                           \
                return;                                                                   \
            }                                                                             \
            switch ((enum vm_op)prog->code[pc++]) {                                       \
            case OP_HALT: res->top = sp ? st[sp - 1] : 0; return;                         \
            case OP_PUSH: st[sp++] = (V)prog->code[pc++]; break;                          \
            case OP_POP: sp--; break;                                                     \
            case OP_DUP: st[sp] = st[sp - 1]; sp++; break;                                \
            case OP_SWAP: { V t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } break; \
            case OP_OVER: st[sp] = st[sp - 2]; sp++; break;                               \
            case OP_ADD: VM_BINOP(V, vm_add_##sfx(a, b)); break;                             \
            case OP_SUB: VM_BINOP(V, vm_sub_##sfx(a, b)); break;                             \
            case OP_MUL: VM_BINOP(V, vm_mul_##sfx(a, b)); break;                             \
            case OP_DIV: VM_BINOP(V, vm_div_##sfx(a, b)); break;                             \
            case OP_MOD: VM_BINOP(V, vm_mod_##sfx(a, b)); break;                             \
            case OP_NEG: st[sp - 1] = vm_neg_##sfx(st[sp - 1]); break;                    \
            case OP_EQ: VM_BINOP(V, (V)(a == b)); break;                                     \
            case OP_LT: VM_BINOP(V, (V)(a < b)); break;                                      \
            case OP_GT: VM_BINOP(V, (V)(a > b)); break;                                      \
            case OP_NOT: st[sp - 1] = (V)(st[sp - 1] == 0); break;                        \
            case OP_JMP: pc = (size_t)prog->code[pc]; break;                              \
            case OP_JZ: pc = st[--sp] != 0 ? pc + 1 : (size_t)prog->code[pc]; break;      \
            case OP_JNZ: pc = st[--sp] != 0 ? (size_t)prog->code[pc] : pc + 1; break;     \
            case OP_LOAD: st[sp++] = slots[prog->code[pc++] & (VM_SLOTS - 1)]; break;     \
            case OP_STORE: slots[prog->code[pc++] & (VM_SLOTS - 1)] = st[--sp]; break;    \
            case OP_CALL: rs[rsp++] = pc + 1; pc = (size_t)prog->code[pc]; break;         \
            case OP_RET:                                                                  \
                if (rsp == 0) { res->error = 2; return; }                                 \
                pc = rs[--rsp];                                                           \
                break;                                                                    \
            case OP_EMIT:                                                                 \
                if (res->nout < VM_OUT) res->out[res->nout++] = st[sp - 1];               \
                sp--;                                                                     \
                break;                                                                    \
            default: res->error = 3; return;                                              \
            }                                                                             \
        }                                                                                 \
    }                                                                                     \
    static void vm_run_threaded_##sfx(const struct vm_program *prog, struct vm_result_##sfx *res) \
    {                                                                                     \
        static void *const labels[] = {                                                   \
            &&L_HALT, &&L_PUSH, &&L_POP, &&L_DUP, &&L_SWAP, &&L_OVER, &&L_ADD, &&L_SUB,   \
            &&L_MUL, &&L_DIV, &&L_MOD, &&L_NEG, &&L_EQ, &&L_LT, &&L_GT, &&L_NOT,          \
            &&L_JMP, &&L_JZ, &&L_JNZ, &&L_LOAD, &&L_STORE, &&L_CALL, &&L_RET, &&L_EMIT};  \
        _Static_assert(sizeof labels / sizeof labels[0] == OP_COUNT, "label table");      \
        V st[VM_STACK], slots[VM_SLOTS] = {0};                                            \
        size_t rs[VM_STACK];                                                              \
        size_t sp = 0, rsp = 0, pc = 0;                                                   \
        memset(res, 0, sizeof *res);                                                      \
        VM_NEXT;                                                                          \
    L_HALT: res->top = sp ? st[sp - 1] : 0; return;                                       \
    L_PUSH: st[sp++] = (V)prog->code[pc++]; VM_NEXT;                                      \
    L_POP: sp--; VM_NEXT;                                                                 \
    L_DUP: st[sp] = st[sp - 1]; sp++; VM_NEXT;                                            \
    L_SWAP: { V t = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = t; } VM_NEXT;       \
    L_OVER: st[sp] = st[sp - 2]; sp++; VM_NEXT;                                           \
    L_ADD: VM_BINOP(V, vm_add_##sfx(a, b)); VM_NEXT;                                         \
    L_SUB: VM_BINOP(V, vm_sub_##sfx(a, b)); VM_NEXT;                                         \
    L_MUL: VM_BINOP(V, vm_mul_##sfx(a, b)); VM_NEXT;                                         \
    L_DIV: VM_BINOP(V, vm_div_##sfx(a, b)); VM_NEXT;                                         \
    L_MOD: VM_BINOP(V, vm_mod_##sfx(a, b)); VM_NEXT;                                         \
    L_NEG: st[sp - 1] = vm_neg_##sfx(st[sp - 1]); VM_NEXT;                                \
    L_EQ: VM_BINOP(V, (V)(a == b)); VM_NEXT;                                                 \
    L_LT: VM_BINOP(V, (V)(a < b)); VM_NEXT;                                                  \
    L_GT: VM_BINOP(V, (V)(a > b)); VM_NEXT;                                                  \
    L_NOT: st[sp - 1] = (V)(st[sp - 1] == 0); VM_NEXT;                                    \
    L_JMP: pc = (size_t)prog->code[pc]; VM_NEXT;                                          \
    L_JZ: pc = st[--sp] != 0 ? pc + 1 : (size_t)prog->code[pc]; VM_NEXT;                  \
    L_JNZ: pc = st[--sp] != 0 ? (size_t)prog->code[pc] : pc + 1; VM_NEXT;                 \
    L_LOAD: st[sp++] = slots[prog->code[pc++] & (VM_SLOTS - 1)]; VM_NEXT;                 \
    L_STORE: slots[prog->code[pc++] & (VM_SLOTS - 1)] = st[--sp]; VM_NEXT;                \
    L_CALL: rs[rsp++] = pc + 1; pc = (size_t)prog->code[pc]; VM_NEXT;                     \
    L_RET:                                                                                \
        if (rsp == 0) { res->error = 2; return; }                                         \
        pc = rs[--rsp];                                                                   \
        VM_NEXT;                                                                          \
    L_EMIT:                                                                               \
        if (res->nout < VM_OUT) res->out[res->nout++] = st[sp - 1];                       \
        sp--;                                                                             \
        VM_NEXT;                                                                          \
    }                                                                                     \
    /* Assemble, run both interpreters, and require identical behaviour. */             \
    static int vm_check_##sfx(const char *src, V expect_top, uint64_t *digest, struct vm_result_##sfx *out) \
    {                                                                                     \
        static struct vm_program prog;                                                    \
        struct vm_result_##sfx a, b;                                                      \
        JT_CHECK(vm_assemble(src, &prog) == 0);                                           \
        vm_run_switch_##sfx(&prog, &a);                                                   \
        vm_run_threaded_##sfx(&prog, &b);                                                 \
        JT_CHECK(a.error == 0 && b.error == 0);                                           \
        JT_CHECK(a.top == expect_top && b.top == expect_top);                             \
        JT_CHECK(a.steps == b.steps && a.nout == b.nout);                                 \
        for (size_t i = 0; i < a.nout; i++) JT_CHECK(a.out[i] == b.out[i]);               \
        *digest = jt_digest(*digest, a.steps);                                            \
        if (out) *out = a;                                                                \
        return 0;                                                                         \
    }

#define VM_NEXT                                                                       \
    do {                                                                              \
        res->steps++;                                                                 \
        if (pc >= prog->len || sp + 2 >= VM_STACK || rsp + 1 >= VM_STACK ||          \
            (uint64_t)prog->code[pc] >= OP_COUNT) {                                   \
            res->error = 1;                                                           \
            return;                                                                   \
        }                                                                             \
        goto *labels[prog->code[pc++]];                                               \
    } while (0)

VM_TYPES(VM_IMPL)

static const char prog_factorial[] =
    "  push 1\n  store 0      ; acc\n  push 20\n  store 1      ; n\n"
    "loop:\n  load 1\n  jz done\n  load 0\n  load 1\n  mul\n  store 0\n"
    "  load 1\n  push 1\n  sub\n  store 1\n  jmp loop\n"
    "done:\n  load 0\n  halt\n";

static const char prog_fib[] =
    "  push 20\n  call fib\n  halt\n"
    "fib:            ; ( n -- fib(n) )\n"
    "  dup\n  push 2\n  lt\n  jz rec\n  ret\n"
    "rec:\n  dup\n  push 1\n  sub\n  call fib\n  swap\n  push 2\n  sub\n  call fib\n  add\n  ret\n";

/* Emit every prime below 60 and leave the sum of primes below 2000. */
static const char prog_primes[] =
    "  push 0\n  store 2       ; sum\n  push 2\n  store 0       ; n\n"
    "outer:\n  load 0\n  push 2000\n  lt\n  jz finish\n"
    "  push 2\n  store 1       ; d\n"
    "inner:\n  load 1\n  load 1\n  mul\n  load 0\n  gt\n  jnz isprime\n"
    "  load 0\n  load 1\n  mod\n  jz next\n"
    "  load 1\n  push 1\n  add\n  store 1\n  jmp inner\n"
    "isprime:\n  load 2\n  load 0\n  add\n  store 2\n"
    "  load 0\n  push 60\n  lt\n  jz next\n  load 0\n  emit\n"
    "next:\n  load 0\n  push 1\n  add\n  store 0\n  jmp outer\n"
    "finish:\n  load 2\n  halt\n";

static const char prog_gcd[] =
    "  push 1071\n  push 462\n"
    "loop:\n  dup\n  jz done\n  swap\n  over\n  mod\n  jmp loop\n"
    "done:\n  pop\n  halt\n";

/* 12! fits in 32 bits; the same program runs in every value type. */
static const char prog_factorial12[] =
    "  push 1\n  store 0\n  push 12\n  store 1\n"
    "loop:\n  load 1\n  jz done\n  load 0\n  load 1\n  mul\n  store 0\n"
    "  load 1\n  push 1\n  sub\n  store 1\n  jmp loop\n"
    "done:\n  load 0\n  halt\n";

/* Newton iteration for sqrt(2) scaled: only meaningful with real division. */
static const char prog_newton[] =
    "  push 1\n  store 0       ; x\n  push 20\n  store 1       ; iterations\n"
    "loop:\n  load 1\n  jz done\n"
    "  load 0\n  push 2\n  load 0\n  div\n  add\n  push 2\n  div\n  store 0\n"
    "  load 1\n  push 1\n  sub\n  store 1\n  jmp loop\n"
    "done:\n  load 0\n  halt\n";

int interp_selftest(uint64_t *digest)
{
    struct vm_result_i64 res;
    if (vm_check_i64(prog_factorial, 2432902008176640000ll, digest, NULL)) return 1;
    if (vm_check_i64(prog_fib, 6765, digest, NULL)) return 1;
    if (vm_check_i64(prog_gcd, 21, digest, NULL)) return 1;
    if (vm_check_i64(prog_primes, 277050, digest, &res)) return 1;
    JT_CHECK(res.nout == 17 && res.out[0] == 2 && res.out[16] == 59);

    /* The integer programs behave identically with 32-bit and double cells. */
    struct vm_result_i32 r32;
    struct vm_result_f64 rf;
    if (vm_check_i32(prog_fib, 6765, digest, NULL) || vm_check_f64(prog_fib, 6765, digest, NULL)) return 1;
    if (vm_check_i32(prog_gcd, 21, digest, NULL) || vm_check_f64(prog_gcd, 21, digest, NULL)) return 1;
    if (vm_check_i32(prog_primes, 277050, digest, &r32) || vm_check_f64(prog_primes, 277050, digest, &rf)) return 1;
    JT_CHECK(r32.nout == 17 && rf.nout == 17 && rf.out[16] == 59);
    if (vm_check_i32(prog_factorial12, 479001600, digest, NULL)) return 1;
    if (vm_check_f64(prog_factorial12, 479001600.0, digest, NULL)) return 1;
    if (vm_check_f64(prog_factorial, 2432902008176640000.0, digest, NULL)) return 1;
    /* 20! wraps modulo 2^32 in 32-bit cells. */
    if (vm_check_i32(prog_factorial, (int32_t)(uint32_t)(2432902008176640000ull & 0xFFFFFFFFu), digest, NULL)) return 1;

    /* Real division converges to sqrt(2); integer division gets stuck at 1. */
    static struct vm_program prog;
    JT_CHECK(vm_assemble(prog_newton, &prog) == 0);
    vm_run_threaded_f64(&prog, &rf);
    JT_CHECK(rf.error == 0 && fabs(rf.top - 1.4142135623730951) < 1e-15);
    vm_run_switch_i64(&prog, &res);
    JT_CHECK(res.error == 0 && res.top == 1);

    struct vm_program bad;
    JT_CHECK(vm_assemble("  frobnicate 3\n", &bad) != 0);
    JT_CHECK(vm_assemble("  jmp nowhere\n", &bad) != 0);
    return 0;
}
