// The monthly compliance trend on the rates page: bars for activities to record, a line for the rate.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("trend");
  if (!box || !window.echarts) return;
  const data = JSON.parse(box.dataset.series);
  const chart = window.echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { data: [box.dataset.totalLabel, box.dataset.rateLabel] },
    xAxis: { type: "category", data: data.months },
    yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100 }],
    series: [
      { name: box.dataset.totalLabel, type: "bar", data: data.totals },
      { name: box.dataset.rateLabel, type: "line", yAxisIndex: 1, data: data.rates },
    ],
  });
  window.addEventListener("resize", () => chart.resize());
});
