#include <bits/stdc++.h>
using namespace std;

int main() {
    ifstream in("fence.in");
    ofstream out("fence.out");
    int n;
    in >> n;
    vector<pair<long long, long long>> s(n);
    for (auto& [a, b] : s) in >> a >> b;
    sort(s.begin(), s.end());
    long long total = 0, end = -1;
    for (auto [a, b] : s) {
        if (b <= end) continue;
        total += b - max(a, end);
        end = b;
    }
    out << total << "\n";
}
