// Package freq counts the words of a text.
package freq

import (
    "sort"
    "strings"
    "unicode"
)

// Count is one word and how often it appears.
type Count struct {
    Word string
    N    int
}

// Top answers the n most frequent words of text, most frequent first, ties alphabetical.
func Top(text string, n int) []Count {
    out := []Count{}
    if n <= 0 {
        return out
    }
    counts := map[string]int{}
    words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
        return !unicode.IsLetter(r) && !unicode.IsDigit(r)
    })
    for _, w := range words {
        counts[w]++
    }
    for w, c := range counts {
        out = append(out, Count{w, c})
    }
    sort.Slice(out, func(i, j int) bool {
        if out[i].N != out[j].N {
            return out[i].N > out[j].N
        }
        return out[i].Word < out[j].Word
    })
    if len(out) > n {
        out = out[:n]
    }
    return out
}
