/* CVSS v3.x base scores computed from vector strings, following the CVSS 3.1 specification
 * (FIRST, section 7.1 formulas, Appendix A Roundup). Feeds give vectors more reliably than
 * scores, so the store keeps the vector and derives the score here. It does not compute temporal
 * or environmental scores, and does not score CVSS v4 vectors (those need the v4 macro-vector
 * tables; they are stored as given). */
#include "quench/vuln.h"
#include "util/util.h"

enum { M_AV, M_AC, M_PR, M_UI, M_S, M_C, M_I, M_A, M_BASE_N };

static const char *const base_names[M_BASE_N] = {"AV", "AC", "PR", "UI", "S", "C", "I", "A"};
/* Allowed values per base metric, in the order the weights below use. */
static const char *const base_values[M_BASE_N] = {"NALP", "LH", "NLH", "NR", "UC", "HLN", "HLN", "HLN"};

/* Temporal and environmental metrics with their allowed values: accepted so real-world vectors
 * that carry them still score, but they do not change the base score. */
static const struct {
	const char *name;
	const char *values;
} other_metrics[] = {
    {"E", "XUPFH"}, {"RL", "XOTWU"}, {"RC", "XURC"}, {"CR", "XLMH"}, {"IR", "XLMH"}, {"AR", "XLMH"}, {"MAV", "XNALP"},
    {"MAC", "XLH"}, {"MPR", "XNLH"}, {"MUI", "XNR"}, {"MS", "XUC"},  {"MC", "XNLH"}, {"MI", "XNLH"}, {"MA", "XNLH"},
};

/* Roundup from CVSS 3.1 Appendix A: the smallest number with one decimal that is >= x, computed
 * on integers so that 4.000000001-style float noise does not round up a whole tenth. */
static double roundup(double x)
{
	long long i = (long long)(x * 100000.0 + 0.5); /* x >= 0: round half up, as the spec's round() */
	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (double)(i / 10000 + 1) / 10.0;
}

/* Parses one "NAME:V" metric into vals[] (base) or validates it (others). Returns 0 or -1. */
static int parse_metric(const char *m, size_t len, char vals[M_BASE_N], unsigned *seen_other)
{
	const char *colon = memchr(m, ':', len);
	if (!colon || (size_t)(m + len - colon) != 2)
		return -1;
	size_t nlen = (size_t)(colon - m);
	char v = colon[1];
	for (int i = 0; i < M_BASE_N; i++) {
		if (strlen(base_names[i]) == nlen && !memcmp(m, base_names[i], nlen)) {
			if (vals[i] || !strchr(base_values[i], v))
				return -1;
			vals[i] = v;
			return 0;
		}
	}
	for (size_t i = 0; i < QN_ARRAY_LEN(other_metrics); i++) {
		if (strlen(other_metrics[i].name) == nlen && !memcmp(m, other_metrics[i].name, nlen)) {
			if ((*seen_other & (1u << i)) || !strchr(other_metrics[i].values, v))
				return -1;
			*seen_other |= 1u << i;
			return 0;
		}
	}
	return -1;
}

static double weight(int metric, char v, bool scope_changed)
{
	switch (metric) {
	case M_AV:
		return v == 'N' ? 0.85 : v == 'A' ? 0.62 : v == 'L' ? 0.55 : 0.2;
	case M_AC:
		return v == 'L' ? 0.77 : 0.44;
	case M_PR:
		if (v == 'N')
			return 0.85;
		if (v == 'L')
			return scope_changed ? 0.68 : 0.62;
		return scope_changed ? 0.5 : 0.27;
	case M_UI:
		return v == 'N' ? 0.85 : 0.62;
	default: /* C, I, A */
		return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0;
	}
}

double qn_cvss3_base_score(const char *vector)
{
	if (!vector)
		return -1;
	if (qn_str_has_prefix(vector, "CVSS:3.1/") || qn_str_has_prefix(vector, "CVSS:3.0/"))
		vector += 9;
	else
		return -1;
	char vals[M_BASE_N] = {0};
	unsigned seen_other = 0;
	const char *p = vector;
	while (*p) {
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (parse_metric(p, len, vals, &seen_other) < 0)
			return -1;
		if (!end)
			break;
		p = end + 1;
		if (!*p)
			return -1; /* trailing slash */
	}
	for (int i = 0; i < M_BASE_N; i++)
		if (!vals[i])
			return -1;
	bool changed = vals[M_S] == 'C';
	double iss = 1.0 - (1.0 - weight(M_C, vals[M_C], changed)) * (1.0 - weight(M_I, vals[M_I], changed)) *
			       (1.0 - weight(M_A, vals[M_A], changed));
	double p15 = 1.0; /* (ISS - 0.02)^15 without libm */
	for (int i = 0; i < 15; i++)
		p15 *= iss - 0.02;
	double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * p15 : 6.42 * iss;
	double expl = 8.22 * weight(M_AV, vals[M_AV], changed) * weight(M_AC, vals[M_AC], changed) *
		      weight(M_PR, vals[M_PR], changed) * weight(M_UI, vals[M_UI], changed);
	if (impact <= 0)
		return 0.0;
	double sum = changed ? 1.08 * (impact + expl) : impact + expl;
	return roundup(QN_MIN(sum, 10.0));
}

const char *qn_cvss3_rating(double score)
{
	if (score < 0.1)
		return "NONE";
	if (score < 4.0)
		return "LOW";
	if (score < 7.0)
		return "MEDIUM";
	if (score < 9.0)
		return "HIGH";
	return "CRITICAL";
}
