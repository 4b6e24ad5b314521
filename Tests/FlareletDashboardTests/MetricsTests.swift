import FlareletDashboard
import FlareletServer
import Foundation
import Testing

struct MetricsTests {
    @Test func requestsLandInTheRegistryWithTheirLabels() {
        let dashboard = Dashboard()
        let monitor = WorkerMonitor(name: "w", factory: dashboard.metricsFactory)
        monitor.recordRequest(method: "GET", status: 200, since: monitor.now() - .milliseconds(3))
        monitor.recordRequest(method: "GET", status: 200, since: monitor.now() - .milliseconds(30))
        monitor.recordRequest(method: "POST", status: 503, since: monitor.now() - .seconds(2))
        let lines = dashboard.metricsText().split(separator: "\n").map(String.init)
        #expect(lines.contains("# TYPE flarelet_requests_total counter"))
        #expect(lines.contains(#"flarelet_requests_total{worker="w",method="GET",status="200"} 2"#))
        #expect(lines.contains(#"flarelet_requests_total{worker="w",method="POST",status="503"} 1"#))
        #expect(lines.contains("# TYPE flarelet_request_duration_seconds histogram"))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="w",le="0.0005"} 0"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="w",le="0.005"} 1"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="w",le="0.05"} 2"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="w",le="2.5"} 3"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_bucket{worker="w",le="+Inf"} 3"#))
        #expect(lines.contains(#"flarelet_request_duration_seconds_count{worker="w"} 3"#))
        let sum = lines.first { $0.hasPrefix(#"flarelet_request_duration_seconds_sum{worker="w"} "#) }
        let seconds = sum.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        #expect(seconds > 2.033 && seconds < 2.2)
    }
}
