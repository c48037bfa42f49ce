// Grader for "stairs": reads n, k and the step lengths, prints count_ways(n, steps).
#include <cstdio>
#include <vector>
#include "stairs.h"

int main() {
    int n, k;
    if (std::scanf("%d %d", &n, &k) != 2) return 3;
    std::vector<int> steps(k);
    for (int& s : steps) std::scanf("%d", &s);
    std::printf("%d\n", count_ways(n, steps));
    return 0;
}
