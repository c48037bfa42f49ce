#include "stairs.h"

int count_ways(int n, std::vector<int> steps) {
    const long long mod = 1000000007;
    std::vector<long long> ways(n + 1, 0);
    ways[0] = 1;
    for (int i = 1; i <= n; ++i)
        for (int s : steps)
            if (s <= i) ways[i] = (ways[i] + ways[i - s]) % mod;
    return static_cast<int>(ways[n]);
}
