/* test-similarity.c: the search tier's headline normalisation and TF-IDF
 * similarity (crawler/lib/crawl-similarity.c), against values worked out by hand:
 * with no corpus and no result set every feature weighs 1, so the cosine is
 * the shared features over the geometric mean of the feature counts (words,
 * word pairs, word triples); with a result set, idf = ln((D+1)/(df+1)) + 1. */
#include "config.h"
#include "crawler/lib/crawl.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

static void norm(const char *in, const char *want)
{
	char *got = crawl_title_normalise(in);
	is_str(got, want, "normalise '%s'", in);
	free(got);
}

int main(void)
{
	norm("Yahoo News - Storm hits the coast, thousands without power", "storm hits the coast thousands without power");
	norm("Storm hits the coast | Daily Planet", "storm hits the coast");
	norm("newsbreak-sim.test: Mayor resigns after long scandal", "mayor resigns after long scandal");
	norm("Mayor resigns after a long scandal \xe2\x80\x94 The Regional Paper", "mayor resigns after a long scandal");
	norm("Exclusive: Mayor resigns", "exclusive mayor resigns");
	norm("Don't PANIC!!  (yet)", "dont panic yet");
	norm("", "");
	norm("---", "");
	/* abbreviations with dots are headline words, not domain names: real
	 * headline shapes keep their words */
	norm("Trump says U.S. will leave: allies react to the news", "trump says u s will leave allies react to the news");
	norm("U.K. inflation falls to 2%: what it means for you", "u k inflation falls to 2 what it means for you");
	norm("St. Louis Blues win No. 1 seed - CBS Sports", "st louis blues win no 1 seed");
	norm("Dr. Fauci: the U.S. is not out of the woods yet", "dr fauci the u s is not out of the woods yet");
	norm("cnn.com - U.S. stocks close higher", "u s stocks close higher");
	norm("U.S. stocks close higher | Reuters.com", "u s stocks close higher");

	is_near(crawl_title_similarity(NULL, "storm hits the coast", "storm hits the coast", NULL, 0), 1.0, 1e-12, "identical: 1");
	/* a b c vs c b a: 3 shared words of 6 features each */
	is_near(crawl_title_similarity(NULL, "a b c", "c b a", NULL, 0), 0.5, 1e-12, "reversed: 3 / sqrt(6 * 6)");
	/* x y z w vs x y z: 6 features of b all in a's 9 */
	is_near(crawl_title_similarity(NULL, "x y z w", "x y z", NULL, 0), 6 / sqrt(54), 1e-12, "truncated: 6 / sqrt(9 * 6)");
	is_near(crawl_title_similarity(NULL, "x y", "p q", NULL, 0), 0.0, 1e-12, "nothing shared: 0");
	is_near(crawl_title_similarity(NULL, "", "p q", NULL, 0), 0.0, 1e-12, "empty: 0");
	{
		char *ctx[] = { "x y", "q" };
		double wx = log(3.0 / 2) + 1, wxq = log(3.0 / 1) + 1;
		is_near(crawl_title_similarity(NULL, "x q", "x", ctx, 2), wx / sqrt(2 * wx * wx + wxq * wxq), 1e-12,
		        "idf from the result set");
	}
	{
		crawl_corpus *corpus = crawl_corpus_new();
		double before = crawl_title_similarity(corpus, "the cat sat", "the dog sat", NULL, 0);
		crawl_corpus_add(corpus, "the cat");
		crawl_corpus_add(corpus, "the dog");
		crawl_corpus_add(corpus, "the fish");
		double after = crawl_title_similarity(corpus, "the cat sat", "the dog sat", NULL, 0);
		ok(after < before, "a word common in the corpus counts less (%.3f < %.3f)", after, before);
		is_near(crawl_title_similarity(NULL, "the cat sat", "the dog sat", NULL, 0), before, 1e-12,
		        "an empty corpus is no corpus");
		crawl_corpus_free(corpus);
	}
	ok(crawl_title_similarity(NULL, "storm hits the coast thousands without power",
	                          "power without the coast hits thousands storm", NULL, 0) < 0.5,
	   "the same words in another order stay below 0.5");
	ok(crawl_title_similarity(NULL, "storm hits the coast thousands without power",
	                          "storm hits the coast thousands without light", NULL, 0) > 0.6,
	   "one word changed stays above 0.6");
	return tap_done();
}
