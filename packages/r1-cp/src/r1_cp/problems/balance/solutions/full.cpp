// Subset-sum DP over the achievable left-pan weights, then walk back to recover one subset.
#include <bits/stdc++.h>
using namespace std;

int main() {
    int n;
    cin >> n;
    vector<int> w(n);
    int total = 0;
    for (int& x : w) cin >> x, total += x;
    // from[i][s]: weight s is reachable with the first i stones
    vector<vector<char>> from(n + 1, vector<char>(total + 1, 0));
    from[0][0] = 1;
    for (int i = 0; i < n; ++i)
        for (int s = 0; s <= total; ++s)
            if (from[i][s]) from[i + 1][s] = 1, from[i + 1][s + w[i]] = 1;
    int best = 0;
    for (int s = 0; s <= total / 2; ++s)
        if (from[n][s]) best = s;
    vector<int> picked;
    for (int i = n, s = best; i > 0; --i)
        if (!from[i - 1][s]) picked.push_back(i), s -= w[i - 1];
    cout << picked.size() << "\n";
    for (int i : picked) cout << i << " ";
    cout << "\n";
}
