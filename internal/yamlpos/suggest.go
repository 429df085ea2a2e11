package yamlpos

import (
	"strconv"
	"strings"
)

// DidYouMean returns `; did you mean "x"?` for the known word closest to
// word, or "" when none is close enough to be a likely typo.
func DidYouMean(word string, known []string) string {
	best, bestDist := "", -1
	w := strings.ToLower(word)
	for _, k := range known {
		dist := distance(w, strings.ToLower(k))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = k, dist
		}
	}
	limit := 2
	if n := len([]rune(word)); n <= 4 {
		limit = 1
	}
	if best == "" || bestDist > limit {
		return ""
	}
	return "; did you mean " + strconv.Quote(best) + "?"
}

// distance is the Levenshtein distance between a and b, counting an
// adjacent transposition as one edit. Inputs are short field names; longer
// ones are cut to bound the work.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	const max = 64
	if len(ra) > max {
		ra = ra[:max]
	}
	if len(rb) > max {
		rb = rb[:max]
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
