// Sum over divisors j of floor(n / j), in O(sqrt n) by the symmetry around sqrt(n).
#include <bits/stdc++.h>
using namespace std;

int main() {
    long long n;
    cin >> n;
    long long r = sqrtl((long double)n);
    while (r * r > n) --r;
    while ((r + 1) * (r + 1) <= n) ++r;
    long long total = 0;
    for (long long j = 1; j <= r; ++j) total += n / j;
    cout << 2 * total - r * r << "\n";
}
