// Correct algorithm, but reads stdin and writes stdout instead of fence.in / fence.out.
#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<pair<long long, long long>> s(n);
    for (auto& [a, b] : s) cin >> a >> b;
    sort(s.begin(), s.end());
    long long total = 0, end = -1;
    for (auto [a, b] : s) {
        if (b <= end) continue;
        total += b - max(a, end);
        end = b;
    }
    cout << total << "\n";
}
