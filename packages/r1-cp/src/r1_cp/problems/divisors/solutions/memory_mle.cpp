// Tabulates d(i) for every i up to n: O(n) memory, far beyond 256 MB for large n.
#include <bits/stdc++.h>
using namespace std;

int main() {
    long long n;
    cin >> n;
    long long cap = min(n, 2000000000LL);
    vector<int> d(cap + 1, 0);
    for (long long j = 1; j <= cap; ++j)
        for (long long i = j; i <= cap; i += j) ++d[i];
    cout << accumulate(d.begin(), d.end(), 0LL) << "\n";
}
