// Counts every divisor by trial division: quadratic, too slow for large n.
#include <cstdio>
int main() {
    long long n, total = 0;
    std::scanf("%lld", &n);
    for (long long i = 1; i <= n; ++i)
        for (long long j = 1; j <= i; ++j)
            if (i % j == 0) ++total;
    std::printf("%lld\n", total);
}
