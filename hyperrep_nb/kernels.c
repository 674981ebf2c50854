/* The zoo CNN's conv1 and conv2, each fused with its 2x2 max-pooling, for P models that each see their own B
   images. Every tensor is laid out model by model ([P, B, ...], contiguous). The pooling keeps max_pool2d's rule
   (scan the window row by row; take a value greater than the maximum so far, or NaN) and records the winner
   (0..3) in `arg`: the backward passes send each pooled gradient to that one input. Vector extensions (8 and
   16 floats) that GCC and clang both understand keep the code portable; -march=native picks the instructions.
   Built and loaded by hyperrep_nb.engine (`_kernels`); the notebook 00_engine explains each function. */
#include <math.h>
#include <string.h>
#include <stdint.h>
typedef float v8 __attribute__((vector_size(32)));
typedef float v4 __attribute__((vector_size(16)));
typedef int vi8 __attribute__((vector_size(32)));
typedef float v16 __attribute__((vector_size(64)));
static inline v16 ld16(const float* p) { v16 v; __builtin_memcpy(&v, p, 64); return v; }
static inline v8 ld8(const float* p) { v8 v; __builtin_memcpy(&v, p, 32); return v; }
static inline v4 ld4(const float* p) { v4 v; __builtin_memcpy(&v, p, 16); return v; }
static inline void st8(float* p, v8 v) { __builtin_memcpy(p, &v, 32); }
static inline void st4(float* p, v4 v) { __builtin_memcpy(p, &v, 16); }
static inline v8 sel(vi8 m, v8 a, v8 b) { return (v8)(((vi8)a & m) | ((vi8)b & ~m)); }

/* the rule of max_pool2d over four candidates in scan order, lane by lane */
static inline void pool4(v8 q0, v8 q1, v8 q2, v8 q3, v8* m, vi8* k) {
  v8 mm = q0; vi8 kk = (vi8){0}; vi8 t;
  t = (q1 > mm) | (q1 != q1); mm = sel(t, q1, mm); kk = (t & 1) | (kk & ~t);
  t = (q2 > mm) | (q2 != q2); mm = sel(t, q2, mm); kk = (t & 2) | (kk & ~t);
  t = (q3 > mm) | (q3 != q3); mm = sel(t, q3, mm); kk = (t & 3) | (kk & ~t);
  *m = mm; *k = kk;
}
/* the even and the odd lanes of two 8-float vectors side by side (a permutation: exact) */
#if defined(__clang__) || __GNUC__ >= 12
#define EVENS(a, b) __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14)
#define ODDS(a, b) __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15)
#else
static const vi8 EVEN = {0, 2, 4, 6, 8, 10, 12, 14}, ODD = {1, 3, 5, 7, 9, 11, 13, 15};
#define EVENS(a, b) __builtin_shuffle(a, b, EVEN)
#define ODDS(a, b) __builtin_shuffle(a, b, ODD)
#endif

/* conv1: x [P, B, C, 28, 28], w [P, 8, C, 5, 5], bias [P, 8] -> out [P, B, 8, 12, 12], arg the same */
static inline __attribute__((always_inline)) void conv1_fwd_c(const float* x, const float* w, const float* bias,
    float* out, uint8_t* arg, long P, long B, const int C) {
  for (long p = 0; p < P; p++) for (long b = 0; b < B; b++) {
    const float* xi = x + (p*B + b)*C*784;
    const float* wp = w + p*8*C*25;
    float* o = out + (p*B + b)*1152;
    uint8_t* ar = arg + (p*B + b)*1152;
    for (int py = 0; py < 12; py++) for (int cg = 0; cg < 8; cg += 4) {
      v8 a[2][4][3];   /* [row of the pair][channel][8 columns] */
      for (int r = 0; r < 2; r++) {
        const int oy = 2*py + r;
        for (int j = 0; j < 4; j++) { const float bv = bias[p*8 + cg + j]; a[r][j][0] = a[r][j][1] = a[r][j][2] = (v8){0} + bv; }
        for (int ci = 0; ci < C; ci++) for (int ky = 0; ky < 5; ky++) {
          const float* xr = xi + ci*784 + (oy + ky)*28;
          for (int kx = 0; kx < 5; kx++) {
            const v8 x0 = ld8(xr + kx), x1 = ld8(xr + kx + 8), x2 = ld8(xr + kx + 16);
            for (int j = 0; j < 4; j++) {
              const float wv = wp[((cg + j)*C + ci)*25 + ky*5 + kx];
              a[r][j][0] += wv * x0; a[r][j][1] += wv * x1; a[r][j][2] += wv * x2;
            }
          }
        }
      }
      for (int j = 0; j < 4; j++) {
        v8 m; vi8 k;
        pool4(EVENS(a[0][j][0], a[0][j][1]), ODDS(a[0][j][0], a[0][j][1]),
              EVENS(a[1][j][0], a[1][j][1]), ODDS(a[1][j][0], a[1][j][1]), &m, &k);
        float* oc = o + (cg + j)*144 + py*12; uint8_t* ac = ar + (cg + j)*144 + py*12;
        st8(oc, m);
        for (int i = 0; i < 8; i++) ac[i] = (uint8_t)k[i];
        pool4(EVENS(a[0][j][2], a[0][j][2]), ODDS(a[0][j][2], a[0][j][2]),
              EVENS(a[1][j][2], a[1][j][2]), ODDS(a[1][j][2], a[1][j][2]), &m, &k);
        for (int i = 0; i < 4; i++) { oc[8 + i] = m[i]; ac[8 + i] = (uint8_t)k[i]; }
      }
    }
  }
}
void conv1_pool_fwd(const float* x, const float* w, const float* bias, float* out, uint8_t* arg, long P, long B, long C) {
  if (C == 1) conv1_fwd_c(x, w, bias, out, arg, P, B, 1);
  else if (C == 3) conv1_fwd_c(x, w, bias, out, arg, P, B, 3);
  else conv1_fwd_c(x, w, bias, out, arg, P, B, (int)C);
}

/* conv1's gradients from g [P, B, 8, 12, 12] at its pooled outputs: dw [P, 8, C, 5, 5], db [P, 8]. Only the
   pooling's winners carry gradient: each adds g times its 5x5 input patch. */
static inline __attribute__((always_inline)) void conv1_bwd_c(const float* x, const float* g, const uint8_t* arg,
    float* dw, float* db, long P, long B, const int C) {
  for (long p = 0; p < P; p++) for (int c = 0; c < 8; c++) {
    v4 a4[3*5]; float a1[3*5]; float ab = 0.f;
    for (int i = 0; i < C*5; i++) { a4[i] = (v4){0}; a1[i] = 0.f; }
    for (long b = 0; b < B; b++) {
      const float* xi = x + (p*B + b)*C*784;
      const float* gc = g + ((p*B + b)*8 + c)*144;
      const uint8_t* ac = arg + ((p*B + b)*8 + c)*144;
      for (int py = 0; py < 12; py++) for (int px = 0; px < 12; px++) {
        const float gv = gc[py*12 + px];
        const int k = ac[py*12 + px];
        const float* xp = xi + (2*py + (k >> 1))*28 + 2*px + (k & 1);
        ab += gv;
        for (int ci = 0; ci < C; ci++) for (int ky = 0; ky < 5; ky++) {
          const float* xr = xp + ci*784 + ky*28;
          a4[ci*5 + ky] += gv * ld4(xr); a1[ci*5 + ky] += gv * xr[4];
        }
      }
    }
    float* d = dw + (p*8 + c)*C*25;
    for (int i = 0; i < C*5; i++) { st4(d + i*5, a4[i]); d[i*5 + 4] = a1[i]; }
    db[p*8 + c] = ab;
  }
}
void conv1_pool_bwd(const float* x, const float* g, const uint8_t* arg, float* dw, float* db, long P, long B, long C) {
  if (C == 1) conv1_bwd_c(x, g, arg, dw, db, P, B, 1);
  else if (C == 3) conv1_bwd_c(x, g, arg, dw, db, P, B, 3);
  else conv1_bwd_c(x, g, arg, dw, db, P, B, (int)C);
}

/* conv2: x [P, B, 8, 12, 12], w [P, 6, 8, 5, 5], bias [P, 6] -> out [P, B, 6, 4, 4], arg the same */
void conv2_pool_fwd(const float* x, const float* w, const float* bias, float* out, uint8_t* arg, long P, long B) {
  for (long p = 0; p < P; p++) for (long b = 0; b < B; b++) {
    const float* xi = x + (p*B + b)*1152;
    const float* wp = w + p*1200;
    float* o = out + (p*B + b)*96;
    uint8_t* ar = arg + (p*B + b)*96;
    for (int py = 0; py < 4; py++) {
      v8 a0[6], a1[6];
      for (int co = 0; co < 6; co++) a0[co] = a1[co] = (v8){0} + bias[p*6 + co];
      for (int ci = 0; ci < 8; ci++) for (int ky = 0; ky < 5; ky++) {
        const float* r0 = xi + ci*144 + (2*py + ky)*12;
        for (int kx = 0; kx < 5; kx++) {
          const v8 x0 = ld8(r0 + kx), x1 = ld8(r0 + 12 + kx);
          for (int co = 0; co < 6; co++) {
            const float wv = wp[co*200 + ci*25 + ky*5 + kx];
            a0[co] += wv * x0; a1[co] += wv * x1;
          }
        }
      }
      for (int co = 0; co < 6; co++) {
        v8 m; vi8 k;
        pool4(EVENS(a0[co], a0[co]), ODDS(a0[co], a0[co]),
              EVENS(a1[co], a1[co]), ODDS(a1[co], a1[co]), &m, &k);
        for (int i = 0; i < 4; i++) { o[co*16 + py*4 + i] = m[i]; ar[co*16 + py*4 + i] = (uint8_t)k[i]; }
      }
    }
  }
}

/* conv2's gradients from g [P, B, 6, 4, 4]: dx [P, B, 8, 12, 12], dw [P, 6, 8, 5, 5], db [P, 6] */
static const float ZERO[24] = {0};
void conv2_pool_bwd(const float* x, const float* w, const float* g, const uint8_t* arg, float* dx, float* dw,
                    float* db, long P, long B) {
  float G[6][8][24];   /* the gradient at conv2's outputs from column 4, zeros around */
  v8 acc[6*8*5*5];
  for (long p = 0; p < P; p++) {
    const float* wp = w + p*1200;
    float ab[6] = {0};
    for (int i = 0; i < 1200; i++) acc[i] = (v8){0};
    for (long b = 0; b < B; b++) {
      const float* xi = x + (p*B + b)*1152;
      const float* gi = g + (p*B + b)*96;
      const uint8_t* ai = arg + (p*B + b)*96;
      memset(G, 0, sizeof G);
      for (int co = 0; co < 6; co++) for (int i = 0; i < 16; i++) {
        const int k = ai[co*16 + i], py = i >> 2, px = i & 3;
        G[co][2*py + (k >> 1)][4 + 2*px + (k & 1)] = gi[co*16 + i];
        ab[co] += gi[co*16 + i];
      }
      /* dw[co, ci, ky, kx] = sum over outputs (oy, ox) of G[co, oy, ox] x[ci, oy+ky, ox+kx], 8 columns a lane each */
      for (int co = 0; co < 6; co++) for (int ci = 0; ci < 8; ci++) for (int ky = 0; ky < 5; ky++) {
        v8* s = acc + ((co*8 + ci)*5 + ky)*5;
        v8 s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4];
        for (int oy = 0; oy < 8; oy++) {
          const v8 gr = ld8(G[co][oy] + 4);
          const float* xr = xi + ci*144 + (oy + ky)*12;
          s0 += gr * ld8(xr); s1 += gr * ld8(xr + 1); s2 += gr * ld8(xr + 2); s3 += gr * ld8(xr + 3); s4 += gr * ld8(xr + 4);
        }
        s[0] = s0; s[1] = s1; s[2] = s2; s[3] = s3; s[4] = s4;
      }
      /* dx[ci, iy, ix] = sum over (co, ky, kx) of w[co, ci, ky, kx] G[co, iy-ky, ix-kx]: columns 0-7 and 8-11 */
      float* dxi = dx + (p*B + b)*1152;
      for (int iy = 0; iy < 12; iy += 2) {
        v16 d0[8], d1[8];
        for (int ci = 0; ci < 8; ci++) d0[ci] = d1[ci] = (v16){0};
        for (int co = 0; co < 6; co++) for (int ky = 0; ky < 5; ky++) {
          const int oy = iy - ky;          /* rows oy (for iy) and oy + 1 (for iy + 1) of G, zero outside 0..7 */
          if (oy < -1 || oy > 7) continue;
          const float* g0 = oy >= 0 ? G[co][oy] : ZERO;
          const float* g1 = oy + 1 <= 7 ? G[co][oy + 1] : ZERO;
          for (int kx = 0; kx < 5; kx++) {
            const v16 a = ld16(g0 + 4 - kx), c = ld16(g1 + 4 - kx);
            for (int ci = 0; ci < 8; ci++) {
              const float wv = wp[co*200 + ci*25 + ky*5 + kx];
              d0[ci] += wv * a; d1[ci] += wv * c;
            }
          }
        }
        for (int ci = 0; ci < 8; ci++) {
          float* r = dxi + ci*144 + iy*12;
          float t0[16], t1[16]; __builtin_memcpy(t0, &d0[ci], 64); __builtin_memcpy(t1, &d1[ci], 64);
          memcpy(r, t0, 48); memcpy(r + 12, t1, 48);
        }
      }
    }
    for (int i = 0; i < 1200; i++) {
      const v8 v = acc[i];
      dw[p*1200 + i] = ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
    }
    for (int co = 0; co < 6; co++) db[p*6 + co] = ab[co];
  }
}
